-- One row /readyz rewrites to prove the store still takes a write (gateway.store.Database.ping).
CREATE TABLE store_heartbeat (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    at DOUBLE PRECISION NOT NULL
);
