-- Routing: a per-model deadline for a stream's first event (NULL: none).
ALTER TABLE ai_models ADD COLUMN time_to_first_token_ms BIGINT;
