-- Agencies (دستگاه‌ها): the government bodies that own services. Each service names its agency; a
-- token or console user scoped to agencies sees only their services' requests. `services.agency` is
-- NULL for a catalogue that lists no agencies (one body owns it all) and for services published before.
CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,                    -- JSON {fa, en}
    complaints TEXT NOT NULL,              -- JSON {fa, en}: where complaints about the agency go
    position BIGINT NOT NULL               -- catalogue order
);
ALTER TABLE services ADD COLUMN agency TEXT REFERENCES agencies (id);
CREATE INDEX services_agency ON services (agency);
