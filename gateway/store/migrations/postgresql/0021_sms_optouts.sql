-- Numbers that sent STOP (or 11, لغو, ...): they get no notifications until they send START.
CREATE TABLE sms_optouts (
    address TEXT PRIMARY KEY,       -- tel:+98912...
    keyword TEXT NOT NULL,          -- what they sent, as normalised
    created_at DOUBLE PRECISION NOT NULL
);
