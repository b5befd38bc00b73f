-- Tasks and media (issue 6): who a task bills (team, request id), its estimated and
-- actual cost, the deadline its polling gives up at, and the files the gateway stored
-- for results that came back as bytes. Keep identical in meaning to migrations/sqlite.

ALTER TABLE ai_tasks ADD COLUMN team_id TEXT;
ALTER TABLE ai_tasks ADD COLUMN request_id TEXT;
ALTER TABLE ai_tasks ADD COLUMN estimated_cost_usd DOUBLE PRECISION;
ALTER TABLE ai_tasks ADD COLUMN cost_usd DOUBLE PRECISION;
ALTER TABLE ai_tasks ADD COLUMN deadline_at BIGINT;

CREATE TABLE ai_media (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT,
    task_id    TEXT,
    media_type TEXT    NOT NULL,
    size_bytes BIGINT  NOT NULL,
    file_name  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

CREATE INDEX ai_media_task_idx ON ai_media (task_id);
