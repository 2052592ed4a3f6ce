-- Text search of the audit log (the Audit log page's filter: a part of
-- the actor, action, target or detail, in any case) without reading every
-- entry. Derived from audit and kept in step with it; the chain never
-- reads it.
-- @sqlite
-- An FTS5 index of trigrams over audit's text columns (the table's content
-- stays in audit): a substring of 3 characters or more is found through it.
CREATE VIRTUAL TABLE audit_search USING fts5(
    actor, action, target, detail,
    content = 'audit', content_rowid = 'seq', tokenize = 'trigram'
);
INSERT INTO audit_search (audit_search) VALUES ('rebuild');
CREATE TRIGGER audit_search_insert AFTER INSERT ON audit
BEGIN
    INSERT INTO audit_search (rowid, actor, action, target, detail)
    VALUES (NEW.seq, NEW.actor, NEW.action, NEW.target, NEW.detail);
END;
CREATE TRIGGER audit_search_delete AFTER DELETE ON audit
BEGIN
    INSERT INTO audit_search (audit_search, rowid, actor, action, target, detail)
    VALUES ('delete', OLD.seq, OLD.actor, OLD.action, OLD.target, OLD.detail);
END;
-- @postgres
-- A trigram index (pg_trgm, a trusted extension shipped with PostgreSQL:
-- the database's owner may create it) of the four columns joined by line
-- breaks, which ILIKE uses for a text without one.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX audit_search ON audit USING gin (
    (actor || chr(10) || action || chr(10) || target || chr(10) || detail) gin_trgm_ops
);
-- @end
