-- Durable outbox: every message that leaves the process (SMS, bot messages, notifications)
-- is written here first and sent by the dispatcher with retries, never inline in a webhook.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,                 -- sms | telegram | ... (which sender)
    address TEXT NOT NULL,                 -- tel:+98912... | telegram:<bot>:<chat>
    text TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'notification',  -- notification | receipt | payment_link | reply
    meta TEXT NOT NULL DEFAULT '{}',       -- JSON: lang, buttons, url, short code...
    state TEXT NOT NULL DEFAULT 'pending', -- pending | sending | sent | failed | dead
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    provider TEXT,
    provider_message_id TEXT,
    delivery TEXT,                         -- delivery report state, when the provider sends one
    idempotency_key TEXT UNIQUE,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_provider_id ON outbox (provider, provider_message_id);
