-- API credentials (Basic, HMAC, Legacy) and their secrets; clipboard setting.
CREATE TABLE credentials (
    id            INTEGER PRIMARY KEY,
    type          TEXT    NOT NULL CHECK (type IN ('basic', 'hmac', 'legacy')),
    name          TEXT    NOT NULL,
    key           TEXT    NOT NULL UNIQUE,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    generation    INTEGER NOT NULL DEFAULT 1,
    expires_at    TEXT,
    created_at    TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    last_used_at  TEXT,
    last_used_from TEXT,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX credentials_type_created ON credentials (type, created_at DESC, id DESC);

-- One row per secret generation. The current secret has retires_at NULL; a
-- rolled-over secret keeps working until retires_at. Exactly one of digest
-- (basic), sealed (hmac) and phc (legacy) is set.
CREATE TABLE credential_secrets (
    id            INTEGER PRIMARY KEY,
    credential_id INTEGER NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    generation    INTEGER NOT NULL,
    digest        BLOB,
    sealed        BLOB,
    phc           TEXT,
    created_at    TEXT    NOT NULL,
    retires_at    TEXT,
    UNIQUE (credential_id, generation),
-- @sqlite
    CHECK ((digest IS NOT NULL) + (sealed IS NOT NULL) + (phc IS NOT NULL) = 1)
-- @postgres
    CHECK (num_nonnulls(digest, sealed, phc) = 1)
-- @end
);

ALTER TABLE account ADD COLUMN clipboard_seconds INTEGER NOT NULL DEFAULT 30
    CHECK (clipboard_seconds BETWEEN 5 AND 600);

-- Bumped by every credential change, so a verifier's cache (in this or
-- another process) knows when to reload.
CREATE TABLE credential_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO credential_revision (id, n) VALUES (1, 0);
