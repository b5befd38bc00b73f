-- Per-key rate limits (issue 7): requests and tokens per minute; NULL means unlimited.
ALTER TABLE api_keys ADD COLUMN rate_limit_rpm INTEGER;
ALTER TABLE api_keys ADD COLUMN rate_limit_tpm INTEGER;
