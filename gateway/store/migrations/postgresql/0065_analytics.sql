-- Flow analytics as aggregates: counts per local day, channel and node (or service), never a phone
-- number or an address. Each gateway process counts in memory and adds its counts here with
-- additive UPSERTs (`visits = visits + excluded.visits`), so several hosts add up.
CREATE TABLE analytics_nodes (
    day TEXT NOT NULL,                     -- ISO date in the calendar's time zone
    channel TEXT NOT NULL,                 -- ussd | sms | telegram
    node TEXT NOT NULL,                    -- flow:node
    visits BIGINT NOT NULL DEFAULT 0,     -- arrivals on the node's screen (a redraw is not one)
    exits BIGINT NOT NULL DEFAULT 0,      -- sessions the gateway ended on the node (an END)
    drops BIGINT NOT NULL DEFAULT 0,      -- sessions abandoned on the node (closed, replaced or expired without an END)
    PRIMARY KEY (day, channel, node)
);

CREATE TABLE analytics_channels (
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    sessions BIGINT NOT NULL DEFAULT 0,   -- conversations started
    PRIMARY KEY (day, channel)
);

CREATE TABLE analytics_services (
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    service_id TEXT NOT NULL,
    started BIGINT NOT NULL DEFAULT 0,    -- arrivals on the service's first question
    submitted BIGINT NOT NULL DEFAULT 0,  -- arrivals on the receipt after its confirm screen
    submit_seconds DOUBLE PRECISION NOT NULL DEFAULT 0, -- sum over `submitted` of seconds from the conversation's start to the receipt
    PRIMARY KEY (day, channel, service_id)
);
