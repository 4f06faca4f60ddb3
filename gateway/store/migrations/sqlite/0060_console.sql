-- Operator console accounts and their sign-in sessions. A password is kept only as an argon2id hash; a
-- session only as the SHA-256 of its cookie (256 random bits: nothing to brute-force), with the
-- form token (CSRF) of that session.
CREATE TABLE console_users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'fa',
    created_at REAL NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until REAL,
    disabled_at REAL
);
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES console_users (id),
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
