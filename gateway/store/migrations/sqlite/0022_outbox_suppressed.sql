-- Notifications not sent because the number opted out (STOP) end `suppressed`, a final state of
-- their own, instead of `failed`: operators filter failures to find real problems. `state` has no
-- CHECK constraint, so no table rebuild: only the rows recorded as opt-out failures move (their
-- `last_error` is the sender's OPTED_OUT reason and stays, saying why).
UPDATE outbox SET state = 'suppressed'
 WHERE state = 'failed' AND channel = 'sms' AND last_error LIKE 'not sent: the number opted out of notifications%';
