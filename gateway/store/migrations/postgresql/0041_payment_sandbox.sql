-- The built-in sandbox bank's own books (it stands in for an outside provider, so it keeps its own
-- sessions, like a real bank would): one row per authority it handed out.
CREATE TABLE payment_sandbox (
    authority TEXT PRIMARY KEY,
    amount BIGINT NOT NULL,              -- what the merchant asked for
    paid_amount BIGINT,                  -- what the payer paid (differs only if someone tampered)
    description TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    csrf TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'paid', 'cancelled', 'verified', 'reversed')),
    ref_id TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
