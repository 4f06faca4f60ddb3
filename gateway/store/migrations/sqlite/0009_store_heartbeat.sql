-- One row /readyz rewrites to prove the store still takes a write (gateway.store.Database.ping).
CREATE TABLE store_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at REAL NOT NULL
);
