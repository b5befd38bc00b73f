-- Switchyard schema for SQLite. Keep column names and meaning identical to
-- migrations/postgres: integers are INTEGER (i64), booleans INTEGER 0/1, floats REAL,
-- times INTEGER Unix milliseconds, JSON TEXT, ids TEXT (uuid v7).

CREATE TABLE ai_providers (
    id                 TEXT    NOT NULL PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    kind               TEXT    NOT NULL,
    base_url           TEXT,
    api_key_env        TEXT,
    api_key_ciphertext BLOB,
    timeout_ms         INTEGER NOT NULL,
    max_concurrency    INTEGER NOT NULL,
    free_tier          INTEGER NOT NULL DEFAULT 0 CHECK (free_tier IN (0, 1)),
    enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    options            TEXT    NOT NULL DEFAULT '{}',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK (api_key_env IS NULL OR api_key_ciphertext IS NULL)
) STRICT;

CREATE TABLE ai_models (
    id                         TEXT    NOT NULL PRIMARY KEY,
    provider_id                TEXT    NOT NULL REFERENCES ai_providers (id) ON DELETE RESTRICT,
    name                       TEXT    NOT NULL,
    upstream_name              TEXT    NOT NULL,
    kinds                      TEXT    NOT NULL DEFAULT '[]',
    capabilities               TEXT    NOT NULL DEFAULT '[]',
    task_types                 TEXT    NOT NULL DEFAULT '[]',
    context_window             INTEGER NOT NULL,
    max_output_tokens          INTEGER NOT NULL,
    input_cost_per_mtok        REAL    NOT NULL DEFAULT 0,
    output_cost_per_mtok       REAL    NOT NULL DEFAULT 0,
    cached_input_cost_per_mtok REAL,
    cost_per_image             REAL,
    cost_per_video_second      REAL,
    quality_tier               INTEGER NOT NULL,
    enabled                    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    UNIQUE (provider_id, name)
) STRICT;

CREATE INDEX ai_models_name_idx ON ai_models (name);
CREATE INDEX ai_models_created_idx ON ai_models (created_at, id);

CREATE TABLE ai_groups (
    id              TEXT    NOT NULL PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    strategy        TEXT    NOT NULL,
    fallback_groups TEXT    NOT NULL DEFAULT '[]',
    max_attempts    INTEGER NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE ai_group_members (
    group_id TEXT    NOT NULL REFERENCES ai_groups (id) ON DELETE CASCADE,
    model    TEXT    NOT NULL,
    weight   INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (group_id, model)
) STRICT;

CREATE INDEX ai_group_members_position_idx ON ai_group_members (group_id, position);

CREATE TABLE ai_tasks (
    id               TEXT    NOT NULL PRIMARY KEY,
    user_id          TEXT,
    key_id           TEXT,
    task_type        TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    progress         INTEGER NOT NULL DEFAULT 0,
    provider         TEXT,
    model            TEXT,
    provider_job_id  TEXT,
    request          TEXT    NOT NULL,
    result           TEXT,
    error            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    idempotency_key  TEXT,
    callback_url     TEXT,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    UNIQUE (user_id, idempotency_key)
) STRICT;

CREATE INDEX ai_tasks_status_lease_idx ON ai_tasks (status, lease_expires_at);
CREATE INDEX ai_tasks_user_idx ON ai_tasks (user_id, created_at);
CREATE INDEX ai_tasks_created_idx ON ai_tasks (created_at, id);

CREATE TABLE teams (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    email      TEXT,
    team_id    TEXT    REFERENCES teams (id) ON DELETE SET NULL,
    role       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX users_team_idx ON users (team_id);

CREATE TABLE api_keys (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL,
    prefix         TEXT    NOT NULL,
    hash           BLOB    NOT NULL,
    role           TEXT    NOT NULL,
    user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at     INTEGER,
    allowed_models TEXT    NOT NULL DEFAULT '[]',
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    last_used_at   INTEGER,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX api_keys_prefix_idx ON api_keys (prefix);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at);

CREATE TABLE usage_records (
    id                  TEXT    NOT NULL PRIMARY KEY,
    request_id          TEXT    NOT NULL,
    key_id              TEXT,
    user_id             TEXT,
    team_id             TEXT,
    model               TEXT    NOT NULL,
    provider            TEXT    NOT NULL,
    endpoint            TEXT    NOT NULL,
    input_tokens        INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    reasoning_tokens    INTEGER NOT NULL,
    cost_usd            REAL    NOT NULL,
    latency_ms          INTEGER NOT NULL,
    ttft_ms             INTEGER,
    status              INTEGER NOT NULL,
    error_kind          TEXT,
    created_at          INTEGER NOT NULL
) STRICT;

CREATE INDEX usage_records_created_idx ON usage_records (created_at);
CREATE INDEX usage_records_key_idx ON usage_records (key_id, created_at);
CREATE INDEX usage_records_user_idx ON usage_records (user_id, created_at);
CREATE INDEX usage_records_model_idx ON usage_records (model, created_at);

CREATE TABLE quotas (
    id          TEXT    NOT NULL PRIMARY KEY,
    scope       TEXT    NOT NULL,
    scope_id    TEXT    NOT NULL,
    metric      TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    limit_value REAL    NOT NULL,
    shadow      INTEGER NOT NULL DEFAULT 0 CHECK (shadow IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (scope, scope_id, metric, period)
) STRICT;
