-- Each vault's manifest: a MAC, under a key derived from the vault's data
-- key, over its counter and the sorted (item id, revision) of every item,
-- rewritten in the transaction of every item change. auth is the vault's
-- slot authentication key sealed under the data key; key_id names the data
-- key in use (an HKDF output, never the key).
CREATE TABLE vault_manifest (
    vault_id INTEGER PRIMARY KEY REFERENCES vaults (id) ON DELETE CASCADE,
    counter  INTEGER NOT NULL,
    key_id   BLOB    NOT NULL,
    auth     BLOB    NOT NULL,
    mac      BLOB    NOT NULL
);

-- Key slots of the second format: the passphrase or recovery key wraps an
-- X25519 private key, and the data key is sealed to its public key, so the
-- data key can be replaced without either secret. NULL in older slots.
ALTER TABLE vault_slots ADD COLUMN public BLOB;
ALTER TABLE vault_slots ADD COLUMN sealed_key BLOB;
