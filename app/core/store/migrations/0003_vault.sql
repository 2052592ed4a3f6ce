-- Per-user encrypted vaults: key slots wrapping one data key, and items
-- sealed under a key derived from it. Nothing here is readable without a
-- passphrase or recovery code.
CREATE TABLE vaults (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    uid        BLOB    NOT NULL,
    format     INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);

CREATE TABLE vault_slots (
    id       INTEGER PRIMARY KEY,
    vault_id INTEGER NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    kind     TEXT    NOT NULL CHECK (kind IN ('passphrase', 'recovery')),
    kdf      TEXT    NOT NULL,
    salt     BLOB    NOT NULL,
    wrapped  BLOB    NOT NULL,
    UNIQUE (vault_id, kind)
);

CREATE TABLE vault_items (
    id         INTEGER PRIMARY KEY,
    vault_id   INTEGER NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('credential', 'login', 'note')),
    revision   INTEGER NOT NULL,
    sealed     BLOB    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX vault_items_vault ON vault_items (vault_id);

-- Minutes of inactivity after which a user's unlocked vault locks itself.
ALTER TABLE users ADD COLUMN vault_lock_minutes INTEGER NOT NULL DEFAULT 5
    CHECK (vault_lock_minutes BETWEEN 1 AND 60);
