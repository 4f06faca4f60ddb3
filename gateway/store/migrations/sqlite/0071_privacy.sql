-- Erasure of a citizen's personal inputs (gateway.privacy): on their request, or `privacy.retention_days`
-- after a request's final status. The request row stays for statistics (service, dates, status, fee);
-- `erased_at` says when its inputs, phone, national code and address were erased (NULL: kept).
ALTER TABLE requests ADD COLUMN erased_at REAL;
CREATE INDEX requests_unerased ON requests (status, updated_at) WHERE erased_at IS NULL;
-- The retention job also erases the texts and addresses of messages that left longer ago than the period.
CREATE INDEX outbox_left ON outbox (state, updated_at);
