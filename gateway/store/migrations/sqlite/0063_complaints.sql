-- Complaints and suggestions (gateway/complaints): about a service, or about a request by its tracking
-- code. A complaint's code is drawn from the same space as requests' tracking codes and never equals
-- one (both stores check the other table), so "track a request" can answer either.
CREATE TABLE complaints (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('complaint', 'suggestion')),
    service_id TEXT NOT NULL,              -- the service it is about (a request's own service when about a request)
    request_id INTEGER REFERENCES requests (id),   -- NULL: about the service, not one request
    status TEXT NOT NULL DEFAULT 'filed',
    channel TEXT NOT NULL,                 -- ussd | sms | telegram | ...
    address TEXT NOT NULL,                 -- where the citizen is told the outcome (tel:+98..., telegram:...)
    phone TEXT,                            -- E.164 when known
    lang TEXT NOT NULL,
    text TEXT NOT NULL,                    -- what the citizen wrote (at most 500 characters)
    answer TEXT,                           -- the last answer or reason the citizen read
    due_date TEXT NOT NULL,                -- ISO date: complaints.days_to_answer working days after filing
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX complaints_status ON complaints (status, due_date);
CREATE INDEX complaints_service ON complaints (service_id, created_at);
CREATE INDEX complaints_created ON complaints (created_at);
CREATE INDEX complaints_request ON complaints (request_id);

CREATE TABLE complaint_events (
    id INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints (id),
    at REAL NOT NULL,
    actor TEXT NOT NULL,                   -- 'citizen', a token or a console user (gateway.audit actors)
    from_status TEXT,                      -- NULL for the filing itself
    to_status TEXT NOT NULL,
    reason TEXT,                           -- the answer or reason, when the citizen reads one
    notified INTEGER NOT NULL DEFAULT 0    -- 1 once the citizen's message is in the outbox (or none is due)
);
CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, id);
CREATE INDEX complaint_events_unnotified ON complaint_events (notified) WHERE notified = 0;
