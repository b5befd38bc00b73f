-- Usage analytics: the report and export filters by provider and team, like the existing
-- key, user and model indexes, each with the time range after the equality column.
CREATE INDEX usage_records_provider_idx ON usage_records (provider, created_at);
CREATE INDEX usage_records_team_idx ON usage_records (team_id, created_at);
