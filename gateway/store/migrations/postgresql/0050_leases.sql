-- Leases: a sweep that must run on one host at a time (payments' sweeper) is held by one worker
-- for a few seconds at a time and renewed; when its holder dies the lease runs out and another
-- takes it over (gateway.store.base.Database.lease).
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,                  -- host:pid of the worker holding it
    until DOUBLE PRECISION NOT NULL                    -- Unix time the lease runs out unless renewed
);
