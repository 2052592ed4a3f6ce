-- The audit chain's anchor in the database and its archive checkpoint.
--
-- audit_anchor: the newest entry's seq and hash and the number of entries in
-- the table, with a MAC under a key derived from keysmith.key, rewritten in
-- the same transaction as every append. Removing the newest rows leaves an
-- anchor that no longer matches, and nobody holding only the database can
-- forge a new one.
CREATE TABLE audit_anchor (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB    NOT NULL,
    count INTEGER NOT NULL,
    mac   BLOB    NOT NULL
);
-- A log that already has entries gets a placeholder (seq -1), sealed by the
-- next append: an anchor first made here, not one that went missing.
-- @sqlite
INSERT INTO audit_anchor (id, seq, hash, count, mac)
    SELECT 1, -1, x'', 0, x'' WHERE EXISTS (SELECT 1 FROM audit);
-- @postgres
INSERT INTO audit_anchor (id, seq, hash, count, mac)
    SELECT 1, -1, '\x'::bytea, 0, '\x'::bytea WHERE EXISTS (SELECT 1 FROM audit);
-- @end

-- audit_checkpoint: the last archived entry (seq and hash) and how many
-- entries that archive removed, with a MAC under a key derived from
-- keysmith.key. The chain starts after it. It only moves forward.
CREATE TABLE audit_checkpoint (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB    NOT NULL,
    count INTEGER NOT NULL,
    mac   BLOB    NOT NULL
);
-- @sqlite
CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
WHEN NEW.seq <= OLD.seq
BEGIN SELECT RAISE(ABORT, 'the audit checkpoint only moves forward'); END;
CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
BEGIN SELECT RAISE(ABORT, 'the audit checkpoint cannot be removed'); END;
-- @postgres
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
-- @end

-- Rows stay append-only, except those at or before the checkpoint: the
-- archive moves the checkpoint forward and removes the rows it covers in
-- one transaction.
-- @sqlite
DROP TRIGGER audit_no_delete;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
WHEN OLD.seq > COALESCE((SELECT seq FROM audit_checkpoint WHERE id = 1), 0)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- @postgres
-- (A trigger's WHEN may not hold a subquery here: the function tests it.)
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
-- @end

-- Keep audit entries this many days (0: keep forever); older ones may be
-- archived.
ALTER TABLE account ADD COLUMN audit_keep_days INTEGER NOT NULL DEFAULT 0
    CHECK (audit_keep_days = 0 OR audit_keep_days BETWEEN 30 AND 3650);
