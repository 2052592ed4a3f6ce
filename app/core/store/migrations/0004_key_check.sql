-- Which key file belongs to this database: a MAC of a fixed message under a
-- key derived from keysmith.key (never the key itself). Opening with any
-- other key file is refused before anything is read or written with it.
CREATE TABLE key_check (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    mac BLOB NOT NULL
);
