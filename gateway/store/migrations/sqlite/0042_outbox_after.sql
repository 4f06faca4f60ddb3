-- A message may wait for another one: `after_key` names the idempotency key of a message that must
-- have left (or given up) first. A payment link waits for its request's receipt, which tells the
-- citizen the tracking code the link's text refers to. No index: the look-up goes through the
-- unique index on idempotency_key.
ALTER TABLE outbox ADD COLUMN after_key TEXT;
