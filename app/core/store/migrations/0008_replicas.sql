-- What the verifiers of one account share (package verifiers).
--
-- Signatures of signed requests with a body that a verifier accepted, so
-- that every other verifier refuses them as replays while their date could
-- still be accepted. digest is an HMAC-SHA256 of the signature under a key
-- derived from keysmith.key, never the signature; expires_at is when the
-- request stops being acceptable (Unix milliseconds). A row is written only
-- after its signature verified, and the table is bounded (verifiers.Replays).
CREATE TABLE replay_signatures (
    digest     BLOB    PRIMARY KEY,
    expires_at INTEGER NOT NULL
-- @sqlite
) WITHOUT ROWID;
-- @postgres
);
-- @end
CREATE INDEX replay_signatures_expiry ON replay_signatures (expires_at);

-- Each running verification endpoint (keysmith serve, or a window's own):
-- a random id, where it runs and which Keysmith it is; last_seen moves with
-- its heartbeat and stopped_at is set when it stops cleanly (Unix
-- milliseconds). Rows not seen for long are pruned; the table is bounded.
CREATE TABLE verifiers (
    id         TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('serve', 'window')),
    host       TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    started_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    stopped_at INTEGER
);
CREATE INDEX verifiers_last_seen ON verifiers (last_seen);
