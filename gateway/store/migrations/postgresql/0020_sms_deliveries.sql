-- Delivery reports of outgoing SMS, keyed by the provider's message id so a report that arrives
-- before the send is recorded (Jasmin's level-1 report can) is kept and joined up later.
CREATE TABLE sms_deliveries (
    provider TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    outbox_id BIGINT REFERENCES outbox(id) ON DELETE SET NULL,
    state TEXT NOT NULL,            -- accepted | sent_to_smsc | delivered | failed | expired
    detail TEXT,                    -- the provider's last words on it (status code, SMSC answer)
    reports BIGINT NOT NULL DEFAULT 0,   -- reports received, duplicates included
    coding TEXT,                    -- gsm7 | ucs2
    segments BIGINT,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (provider, provider_message_id)
);
CREATE INDEX sms_deliveries_outbox ON sms_deliveries (outbox_id);
