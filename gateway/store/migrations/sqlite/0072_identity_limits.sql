-- How many times the identity provider (Shahkar) was asked about one mobile number on one local day
-- (calendar.timezone): each question costs money and tells whose national code a number is, so a
-- number gets identity.max_checks_per_day of them (gateway/identity/limit.py); answers from the cache
-- are not counted. Keyed by an HMAC of the number under identity.cache_secret, never the number;
-- a day's rows are deleted by the identity background pass once the day is over.
CREATE TABLE identity_limits (
    digest TEXT NOT NULL,                  -- hex HMAC-SHA256 of the mobile number (E.164)
    day TEXT NOT NULL,                     -- the local date, ISO (2026-12-01)
    checks INTEGER NOT NULL,               -- provider questions asked that day
    PRIMARY KEY (digest, day)
);
CREATE INDEX identity_limits_day ON identity_limits (day);
