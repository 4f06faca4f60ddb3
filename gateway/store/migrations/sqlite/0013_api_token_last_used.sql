-- When each operator API token was last accepted (at most a minute stale: it is written at most
-- once a minute per token), so operators can find tokens nobody uses any more and revoke them.
ALTER TABLE api_tokens ADD COLUMN last_used_at REAL;
