-- Content versions (issue 13): the hand-written flows and the catalogue, as immutable numbered
-- versions, and the one pointer saying which version every worker serves. `services` and
-- `categories` stay as the record of every service ever published (requests refer to them).
CREATE TABLE content_versions (
    number BIGINT PRIMARY KEY,
    digest TEXT NOT NULL,                  -- SHA-256 of `content`
    content TEXT NOT NULL,                 -- canonical JSON {flows: {file: data}, catalogue: data}
    author TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE content_live (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    number BIGINT NOT NULL REFERENCES content_versions (number),
    since DOUBLE PRECISION NOT NULL,
    by TEXT NOT NULL
);
