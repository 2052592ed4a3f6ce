-- The audit chain's anchor in the database and its archive checkpoint.
--
-- audit_anchor: the newest entry's seq and hash and the number of entries in
-- the table, with a MAC under a key derived from keysmith.key, rewritten in
-- the same transaction as every append. Removing the newest rows leaves an
-- anchor that no longer matches, and nobody holding only the database can
-- forge a new one.
CREATE TABLE audit_anchor (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  BYTEA  NOT NULL,
    count BIGINT NOT NULL,
    mac   BYTEA  NOT NULL
);
-- A log that already has entries gets a placeholder (seq -1), sealed by the
-- next append: an anchor first made here, not one that went missing.
INSERT INTO audit_anchor (id, seq, hash, count, mac)
    SELECT 1, -1, '\x'::bytea, 0, '\x'::bytea WHERE EXISTS (SELECT 1 FROM audit);

-- audit_checkpoint: the last archived entry (seq and hash) and how many
-- entries that archive removed, with a MAC under a key derived from
-- keysmith.key. The chain starts after it. It only moves forward.
CREATE TABLE audit_checkpoint (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  BYTEA  NOT NULL,
    count BIGINT NOT NULL,
    mac   BYTEA  NOT NULL
);
CREATE FUNCTION audit_checkpoint_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit checkpoint only moves forward';
END $$;
CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
    FOR EACH ROW WHEN (NEW.seq <= OLD.seq) EXECUTE FUNCTION audit_checkpoint_forward();
CREATE FUNCTION audit_checkpoint_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit checkpoint cannot be removed';
END $$;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_kept();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_kept();

-- Rows stay append-only, except those at or before the checkpoint: the
-- archive moves the checkpoint forward and removes the rows it covers in
-- one transaction. (A trigger's WHEN may not hold a subquery here: the
-- function tests it.)
CREATE FUNCTION audit_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq > COALESCE((SELECT seq FROM audit_checkpoint WHERE id = 1), 0) THEN
        RAISE EXCEPTION 'the audit log is append-only';
    END IF;
    RETURN OLD;
END $$;
DROP TRIGGER audit_no_delete ON audit;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_no_delete();

-- Keep audit entries this many days (0: keep forever); older ones may be
-- archived.
ALTER TABLE account ADD COLUMN audit_keep_days BIGINT NOT NULL DEFAULT 0
    CHECK (audit_keep_days = 0 OR audit_keep_days BETWEEN 30 AND 3650);
