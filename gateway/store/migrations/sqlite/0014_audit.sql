-- The audit trail: who (a token or a shell user) changed content, tokens or a request's status, when,
-- and what (`detail`, JSON; a `diff` of text lines for content). Rows are only ever added.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_action_at ON audit (action, at);
CREATE INDEX audit_subject_at ON audit (subject, at);
