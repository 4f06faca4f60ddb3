-- Agency scopes, token expiry and rotation (issue 17).
-- `agencies`: the comma-separated agency ids a token or console user is limited to; NULL is every
-- agency (the national operator). `expires_at`: after it the token is refused (NULL: never).
-- `replaced_by`: the token a rotation made in its place (this one works until its `expires_at`, the grace).
ALTER TABLE api_tokens ADD COLUMN agencies TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at DOUBLE PRECISION;
-- No foreign key on replaced_by: `db copy` copies a table in one pass.
ALTER TABLE api_tokens ADD COLUMN replaced_by BIGINT;
ALTER TABLE console_users ADD COLUMN agencies TEXT;
-- The service an outbound message is about (a request's, a complaint's), so a scoped operator sees only
-- its agency's messages; NULL for conversation replies and the like, which only national operators see.
ALTER TABLE outbox ADD COLUMN service_id TEXT;
UPDATE outbox SET service_id = (SELECT r.service_id FROM requests r WHERE r.tracking_code = outbox.meta::json ->> 'tracking_code')
    WHERE outbox.meta::json ->> 'tracking_code' IS NOT NULL;
UPDATE outbox SET service_id = (SELECT c.service_id FROM complaints c WHERE c.code = outbox.meta::json ->> 'complaint')
    WHERE service_id IS NULL AND outbox.meta::json ->> 'complaint' IS NOT NULL;
CREATE INDEX outbox_service ON outbox (service_id, id);
