-- Each credential's security state (type, key, name, disabled, expiry,
-- generation and every stored secret) carries a MAC under a key derived from
-- keysmith.key, over the state and state_seq: the seq of the audit event that
-- produced it. A row whose MAC does not verify, or that a later credential
-- event targets (it was deleted or changed since), is refused.
ALTER TABLE credentials ADD COLUMN state_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credentials ADD COLUMN state_mac BLOB;

-- Finds the latest state-changing event of one credential in one lookup per
-- action, however many refusals the verifier has recorded against its key.
CREATE INDEX audit_target_action ON audit (target, action, seq);
