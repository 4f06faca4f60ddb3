-- The service catalogue in the store: categories and every field of a service's identity card
-- (seed 001) plus the inputs a request needs. Imported from config/catalogue.yaml by
-- `pishkhan catalogue import` (and at start when empty); edited over the operator API.
CREATE TABLE categories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,                   -- JSON {fa, en}
    position BIGINT NOT NULL
);

CREATE TABLE services (
    id TEXT PRIMARY KEY CHECK (length(id) = 9),
    parent TEXT REFERENCES services (id),
    category TEXT NOT NULL REFERENCES categories (id),
    type TEXT NOT NULL CHECK (type IN ('G2C', 'G2B', 'G2G')),
    title TEXT NOT NULL,                   -- JSON {fa, en}
    short TEXT,                            -- JSON {fa, en}: menu label
    description TEXT NOT NULL DEFAULT '{}',
    documents TEXT NOT NULL DEFAULT '[]',  -- JSON list of {fa, en}
    days_to_deliver BIGINT NOT NULL DEFAULT 0,   -- working days (SLA)
    hours TEXT NOT NULL DEFAULT '{}',
    visits BIGINT NOT NULL DEFAULT 0,     -- in-person visits
    fee BIGINT NOT NULL DEFAULT 0,        -- rials
    account TEXT,                          -- the account the fee goes to
    channels TEXT NOT NULL DEFAULT '[]',   -- JSON list
    complaint TEXT NOT NULL DEFAULT '{}',
    steps TEXT NOT NULL DEFAULT '[]',      -- JSON list of {fa, en}
    inputs TEXT NOT NULL DEFAULT '[]',     -- JSON list of {name, validator, prompt}
    active BIGINT NOT NULL DEFAULT 1,
    position BIGINT NOT NULL,             -- catalogue order (menus keep it)
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX services_category ON services (category, position);
