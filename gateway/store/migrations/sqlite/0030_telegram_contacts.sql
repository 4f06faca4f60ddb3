-- Bot users who proved their phone number with Telegram's contact button (the number Telegram
-- itself verified for the account), and chats that blocked a bot (403): notifications for those go
-- by SMS when the number is known.
CREATE TABLE telegram_contacts (
    bot TEXT NOT NULL,                     -- bot name from settings
    user_id INTEGER NOT NULL,              -- Telegram user id (= private chat id)
    chat_id INTEGER NOT NULL,
    phone TEXT NOT NULL,                   -- E.164; never logged unmasked
    verified_at REAL NOT NULL,
    PRIMARY KEY (bot, user_id)
);
CREATE INDEX telegram_contacts_chat ON telegram_contacts (bot, chat_id);
CREATE INDEX telegram_contacts_phone ON telegram_contacts (phone);

CREATE TABLE telegram_unreachable (
    address TEXT PRIMARY KEY,              -- telegram:<bot>:<chat id>
    reason TEXT NOT NULL,
    since REAL NOT NULL
);
