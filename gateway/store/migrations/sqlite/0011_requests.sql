-- Service requests and their history. A request is committed before the citizen sees its
-- tracking code; every status change is an event row (who, when, from, to, why).
CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    tracking_code TEXT NOT NULL UNIQUE,
    service_id TEXT NOT NULL REFERENCES services (id),
    status TEXT NOT NULL DEFAULT 'submitted',
    channel TEXT NOT NULL,                 -- ussd | sms | telegram | ...
    address TEXT NOT NULL,                 -- where the citizen came from (tel:+98..., telegram:...)
    phone TEXT,                            -- E.164 when known
    national_code TEXT,                    -- from the inputs when the service asks for one; never logged unmasked
    lang TEXT NOT NULL,
    inputs TEXT NOT NULL DEFAULT '{}',     -- JSON
    fee INTEGER NOT NULL DEFAULT 0,        -- rials, at submission time
    payment_state TEXT NOT NULL DEFAULT 'none' CHECK (payment_state IN ('none', 'pending', 'paid', 'failed')),
    due_date TEXT NOT NULL,                -- ISO date: days_to_deliver working days after submission
    idempotency_key TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX requests_phone ON requests (phone, created_at);
CREATE INDEX requests_status ON requests (status, due_date);
CREATE INDEX requests_service ON requests (service_id, created_at);
CREATE INDEX requests_created ON requests (created_at);
CREATE INDEX requests_idempotency ON requests (idempotency_key, created_at);

CREATE TABLE request_events (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    at REAL NOT NULL,
    actor TEXT NOT NULL,                   -- 'citizen' or the operator token's name
    from_status TEXT,                      -- NULL for the submission itself
    to_status TEXT NOT NULL,
    reason TEXT,
    notified INTEGER NOT NULL DEFAULT 0    -- 1 once the citizen's message is in the outbox
);
CREATE INDEX request_events_request ON request_events (request_id, id);
CREATE INDEX request_events_unnotified ON request_events (notified) WHERE notified = 0;
