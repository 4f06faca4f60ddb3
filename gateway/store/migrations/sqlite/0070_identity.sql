-- Identity checks (gateway/identity): does a mobile number belong to the national code a citizen typed,
-- asked of an ownership-check provider (Iran's operators' Shahkar) before a request for a service whose
-- card says `identity_check: true` is submitted.
ALTER TABLE services ADD COLUMN identity_check INTEGER NOT NULL DEFAULT 0;   -- 1: the card requires the check

-- The provider's answers, kept identity.cache_hours so a citizen applying twice is asked about once;
-- shared by every worker. Keyed by an HMAC of the pair under identity.cache_secret: the pair itself is
-- never stored here.
CREATE TABLE identity_checks (
    digest TEXT PRIMARY KEY,               -- hex HMAC-SHA256 of (mobile E.164, national code)
    matches INTEGER NOT NULL,              -- 1: the number is registered to the code; 0: it is not
    checked_at REAL NOT NULL
);
CREATE INDEX identity_checks_age ON identity_checks (checked_at);

-- Answers kept while the provider is down: the citizen was told their request waits for the check;
-- a background pass asks again, then submits it (the receipt goes to their channel) or tells them it
-- could not be. Deleted once done, or after identity.give_up_hours.
CREATE TABLE identity_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,     -- never reused: the outbox key of its message names it
    service_id TEXT NOT NULL,
    channel TEXT NOT NULL,                 -- ussd | sms | telegram
    address TEXT NOT NULL,                 -- where the citizen is told (tel:+98..., telegram:...)
    phone TEXT NOT NULL,                   -- the E.164 number checked
    lang TEXT NOT NULL,
    inputs TEXT NOT NULL,                  -- JSON: the answers in their stored form (personal: kept no longer than above)
    created_at REAL NOT NULL,
    next_at REAL NOT NULL,                   -- when the provider is asked again
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX identity_pending_due ON identity_pending (next_at);
