-- The console's requests desk: staff notes on a request (never sent to the citizen) and who is
-- working on it (one assignee at most; no row: unassigned). The indexes serve the desk's queue:
-- search by national code, the channel filter, and a request's messages (outbox rows to its address
-- since it was made).
CREATE TABLE request_notes (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    author_id INTEGER NOT NULL REFERENCES console_users (id),
    at REAL NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX request_notes_request ON request_notes (request_id, id);

CREATE TABLE request_assignments (
    request_id INTEGER PRIMARY KEY REFERENCES requests (id),
    user_id INTEGER NOT NULL REFERENCES console_users (id),
    assigned_by TEXT NOT NULL,             -- the actor who assigned it (console:<name>)
    at REAL NOT NULL
);
CREATE INDEX request_assignments_user ON request_assignments (user_id);

CREATE INDEX requests_national_code ON requests (national_code);
CREATE INDEX requests_channel ON requests (channel, created_at);
CREATE INDEX outbox_address ON outbox (address, created_at);
