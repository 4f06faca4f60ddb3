-- Satisfaction (CSAT) surveys: one per request, asked when it reaches its first final answer
-- (rejected or delivered), on the channel its citizen hears from (SMS for USSD and SMS, the bot's
-- chat for bots). `rating` stays NULL until answered; the first answer wins. `address` (where the
-- question went) and `lang` are this branch's additions to the shared shape (issue 16): an SMS
-- reply is matched to the survey by its number, and every answer is said in the request's language.
-- `event_id`: the request event that asked it, so a later final event (rejected -> delivered)
-- does not ask again. The three have defaults so a row in the shared shape alone still inserts (the
-- analytics branch's tests write such rows); the gateway always sets them.
CREATE TABLE feedback_surveys (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL UNIQUE REFERENCES requests (id),
    service_id TEXT NOT NULL,
    channel TEXT NOT NULL,                 -- the channel the request came from (ussd | sms | telegram)
    asked_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    answered_at REAL,
    address TEXT NOT NULL DEFAULT '',      -- tel:+98... | telegram:<bot>:<chat>
    lang TEXT NOT NULL DEFAULT 'fa',
    event_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX feedback_surveys_address ON feedback_surveys (address, expires_at);
CREATE INDEX feedback_surveys_service ON feedback_surveys (service_id, asked_at);
CREATE INDEX feedback_surveys_answered ON feedback_surveys (answered_at);
