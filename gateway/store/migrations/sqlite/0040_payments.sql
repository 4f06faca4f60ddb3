-- Fee payments for requests: one row per payment attempt with its link, provider reference and
-- state (pending -> paid | failed | expired; paid -> refunded; a provider-confirmed late payment
-- may turn failed/expired into paid). Every change is a payment_events row.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    amount INTEGER NOT NULL CHECK (amount > 0),      -- rials, the request's fee when the link was made
    currency TEXT NOT NULL DEFAULT 'IRR',
    provider TEXT NOT NULL,                          -- sandbox | zarinpal
    authority TEXT,                                  -- the provider's reference for this attempt
    ref_id TEXT,                                     -- the provider's receipt number once paid
    card_pan TEXT,                                   -- the card as the provider masks it
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'paid', 'failed', 'expired', 'refunded')),
    reason TEXT,                                     -- why it failed or expired (operators read it)
    token_hash TEXT NOT NULL UNIQUE,                 -- SHA-256 of the link token; the token is only in the message
    csrf TEXT NOT NULL,                              -- per-link form token for the pay pages
    link_expires_at REAL NOT NULL,
    link_sent_at REAL,                               -- NULL until the link message is in the outbox
    started_at REAL,                                 -- the citizen went to the provider
    verify_attempts INTEGER NOT NULL DEFAULT 0,
    verified_at REAL,                                -- last time the provider was asked
    synced_state TEXT,                               -- the state last applied to the request and told the citizen
    renewed_by INTEGER REFERENCES payments (id),     -- the payment whose link replaced this one
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE UNIQUE INDEX payments_authority ON payments (provider, authority) WHERE authority IS NOT NULL;
CREATE UNIQUE INDEX payments_one_pending ON payments (request_id) WHERE state = 'pending';  -- two paid ones (the citizen paid twice) are allowed: reconcile lists them for a refund
CREATE INDEX payments_request ON payments (request_id, id);
CREATE INDEX payments_state ON payments (state, created_at);

CREATE TABLE payment_events (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,        -- created | link_sent | started | verify | paid | failed | expired | refunded | renewed
    from_state TEXT,
    to_state TEXT,
    detail TEXT                -- provider code and message, or the reason; never card numbers or phones
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);
