-- Events to agency systems (issue 17 item 2): an agency subscribes URLs to event types; every event
-- is written in the transaction of the change it reports, with one outbox row (channel `webhook`)
-- per subscription that wants it; each attempt to deliver one is logged.
--
-- `secret`: the signing secret as shown to the agency once (`whsec_` + base64); it must be kept in
-- the clear to sign with. `previous_secret` still signs too (a second signature) until
-- `previous_until`, so a rotation needs no downtime at the receiver.
-- `personal`: 1 when the subscription opted in to the citizen's phone number and personal inputs.
CREATE TABLE event_subscriptions (
    id INTEGER PRIMARY KEY,
    agency TEXT NOT NULL,
    url TEXT NOT NULL,
    types TEXT NOT NULL,                   -- JSON list of event types
    personal INTEGER NOT NULL DEFAULT 0,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until REAL,
    state TEXT NOT NULL DEFAULT 'enabled', -- enabled | disabled
    disabled_reason TEXT,
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX event_subscriptions_agency ON event_subscriptions (agency, state);

-- The event log: what happened, once, whoever it goes to. `webhook_id` is the `webhook-id` header,
-- the same on every attempt and replay (receivers deduplicate by it). `subject` orders delivery:
-- a request's events (its payments' included) carry its tracking code and leave in order.
-- `personal`: JSON of the citizen's personal data, sent only to subscriptions that opted in.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    webhook_id TEXT NOT NULL UNIQUE,
    agency TEXT NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    data TEXT NOT NULL,
    personal TEXT,
    at REAL NOT NULL
);
CREATE INDEX events_agency_at ON events (agency, at);
CREATE INDEX events_subject ON events (agency, subject, id);

-- Every attempt to deliver an event to a subscription: when, what HTTP status (NULL: no answer),
-- how long it took and what went wrong. `outcome`: delivered | retry | failed | gone | skipped.
CREATE TABLE event_deliveries (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    subscription_id INTEGER NOT NULL,
    outbox_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    at REAL NOT NULL,
    status INTEGER,
    duration_ms INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT
);
CREATE INDEX event_deliveries_event ON event_deliveries (event_id, id);
CREATE INDEX event_deliveries_subscription ON event_deliveries (subscription_id, id);
