-- Consultations (polls) with the people: an operator opens a poll with its question and options in
-- every language (JSON: {"fa": …, "en": …} and a list of such), when it opens and closes, and its
-- audience (NULL: everyone; else citizens who made a request for that service). A vote is one per
-- phone number and poll (the UNIQUE key decides between two channels answering at once), with the
-- channel it came by so the results split by channel.
CREATE TABLE consultations (
    id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,                 -- JSON {lang: text}
    options TEXT NOT NULL,                  -- JSON [{lang: text}, ...], 2 to 9
    opens_at REAL NOT NULL,
    closes_at REAL NOT NULL,
    audience_service TEXT,                  -- a service id; NULL: everyone
    created_by TEXT NOT NULL,               -- the actor who opened it
    created_at REAL NOT NULL,
    closed_by TEXT,                         -- who closed it early (NULL: still open, or closed by its date)
    CHECK (closes_at > opens_at)
);
CREATE INDEX consultations_closes ON consultations (closes_at);

CREATE TABLE consultation_votes (
    id INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    phone TEXT NOT NULL,                    -- E.164
    option INTEGER NOT NULL,                -- 1-based
    channel TEXT NOT NULL,                  -- ussd | sms | telegram
    at REAL NOT NULL,
    UNIQUE (consultation_id, phone)
);
CREATE INDEX consultation_votes_phone ON consultation_votes (phone);
