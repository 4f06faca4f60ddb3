-- Requests made from a bot chat, so "my requests" lists them even when the citizen shared their
-- number only after submitting (the request then carries no phone to find it by).
CREATE TABLE telegram_requests (
    address TEXT NOT NULL,                 -- telegram:<bot>:<chat id>
    tracking_code TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (address, tracking_code)
);
