-- Idempotency-Key answers of the operator API (gateway/idempotency.py): one row per token and key,
-- holding what the request was (its fingerprint) and, once it is answered, the answer a retry is given.
-- An answer that follows a change (a status transition) is written in the change's own transaction.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    token_id INTEGER NOT NULL,             -- keys are the token's own: another token's equal key is another row
    key TEXT NOT NULL,                     -- the Idempotency-Key header's value (printable ASCII, at most 255)
    fingerprint TEXT NOT NULL,             -- SHA-256 of method, path and body: the same key with another body is refused
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,              -- api.idempotency_hours after created_at; purged after
    attempt INTEGER NOT NULL DEFAULT 1,    -- which worker's run may answer: a takeover after a crash adds one
    held_until REAL NOT NULL,              -- while unanswered: a retry before this is told 409 (still in flight)
    status INTEGER,                        -- the answer's HTTP status; NULL while in flight
    body TEXT,                             -- the answer's JSON
    UNIQUE (token_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- The per-item answers of a bulk request, each written in its item's own transaction, so a run that
-- died half way is resumed by the retry and not done twice.
CREATE TABLE idempotency_parts (
    key_id INTEGER NOT NULL REFERENCES idempotency_keys (id) ON DELETE CASCADE,
    part TEXT NOT NULL,                    -- the item (a tracking code)
    body TEXT NOT NULL,
    PRIMARY KEY (key_id, part)
);
