-- Bot notifications longer than one message (4,096 characters) go as several parts: how many of an
-- outbox message's parts already reached the chat, so a retry after a 429, a 5xx or a timeout mid-way
-- (on any worker) sends only the rest (gateway/telegram/parts.py). Gone with its outbox row.
CREATE TABLE telegram_parts (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    split TEXT NOT NULL,                   -- digest of the parts: an attempt resumes only the same split
    sent INTEGER NOT NULL,                 -- parts in the chat, in order from the first
    last_message_id INTEGER NOT NULL,      -- Bot API message id of the last of them
    updated_at REAL NOT NULL
);
