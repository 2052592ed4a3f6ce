package vault

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"keysmith/app/core/agefile"
	"keysmith/app/core/errs"
)

// exportDoc is the plaintext inside an export file.
type exportDoc struct {
	Format  string `json:"format"` // "keysmith-vault-export"
	Version int    `json:"version"`
	Items   []Item `json:"items"`
}

const (
	exportFormat  = "keysmith-vault-export"
	maxExportSize = 256 << 20
	// MaxExportFile bounds the file an import reads: the largest plaintext
	// an export holds plus age's framing (well under 1 MiB at that size).
	MaxExportFile = maxExportSize + 1<<20
)

// exportKind names export files in messages.
var exportKind = agefile.Kind{Noun: "export", Example: "keysmith-vault.age"}

// ReadExport reads an export file for Import: a regular file of at most
// MaxExportFile bytes, or an *errs.Invalid that says why not (agefile.Read).
func ReadExport(path string) ([]byte, error) { return agefile.Read(path, MaxExportFile, exportKind) }

// Export returns every item, encrypted to passphrase in the age format (a
// scrypt passphrase recipient): `age -d` opens it.
func (v *Session) Export(ctx context.Context, actorID int64, passphrase string) ([]byte, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	doc := exportDoc{Format: exportFormat, Version: 1, Items: []Item{}}
	err := v.read(ctx, actorID, func(tx *sql.Tx, key []byte, _ []idRev) error {
		rs, err := v.rows(ctx, tx, "")
		if err != nil {
			return err
		}
		for _, r := range rs {
			it, err := v.decrypt(key, r)
			if err != nil {
				return err
			}
			doc.Items = append(doc.Items, it)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return agefile.Seal(plain, passphrase)
}

// ImportReport says what Import did.
type ImportReport struct {
	Added   int
	Skipped int // exact duplicates of items already in the vault
}

// ErrBadExport means an export file could not be opened or read.
var ErrBadExport = errs.ErrBadExport

// decodeExport opens and parses an export; it never touches the database.
// A file that asks for more scrypt work than maxWork is refused unopened.
func decodeExport(data []byte, passphrase string, maxWork int) (exportDoc, error) {
	plain, err := agefile.Open(data, passphrase, maxWork, maxExportSize)
	switch {
	case errors.Is(err, agefile.ErrWrongPassphrase):
		// Not the vault's passphrase: say which one is wrong.
		return exportDoc{}, errors.Join(errs.Invalidf("passphrase", "The export file's passphrase is wrong; nothing was imported."), ErrWrongPassphrase)
	case err != nil:
		return exportDoc{}, fmt.Errorf("%w: not an age file to a passphrase, damaged or too large", ErrBadExport)
	}
	defer clear(plain)
	var doc exportDoc
	if err := json.Unmarshal(plain, &doc); err != nil || doc.Format != exportFormat {
		return exportDoc{}, fmt.Errorf("%w: not a Keysmith vault export", ErrBadExport)
	}
	if doc.Version != 1 {
		return exportDoc{}, ErrNewerFormat
	}
	for i := range doc.Items {
		if err := checkItem(&doc.Items[i]); err != nil {
			return exportDoc{}, fmt.Errorf("%w: item %d: %s", ErrBadExport, i+1, errs.Message(err))
		}
	}
	return doc, nil
}

// Import merges an export into the vault in one transaction: exact
// duplicates are skipped; a wrong passphrase or damaged file changes nothing.
func (v *Session) Import(ctx context.Context, actorID int64, data []byte, passphrase string) (ImportReport, error) {
	if _, _, err := v.keys(ctx, actorID); err != nil {
		return ImportReport{}, err
	}
	doc, err := decodeExport(data, passphrase, v.s.importWork)
	if err != nil {
		return ImportReport{}, err
	}
	var rep ImportReport
	err = v.change(ctx, actorID, func(tx *sql.Tx, key []byte) error {
		rep = ImportReport{}
		rs, err := v.rows(ctx, tx, "")
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, r := range rs {
			it, err := v.decrypt(key, r)
			if err != nil {
				return err
			}
			have[fingerprint(it)] = true
		}
		for _, it := range doc.Items {
			fp := fingerprint(it)
			if have[fp] {
				rep.Skipped++
				continue
			}
			if _, err := v.insert(ctx, tx, key, it); err != nil {
				return err
			}
			have[fp] = true
			rep.Added++
		}
		return nil
	})
	if err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}

// fingerprint identifies an item's content for duplicate detection.
func fingerprint(it Item) string {
	b, _ := json.Marshal([]string{it.Kind, it.Title, it.Username, it.Secret, it.URL, it.Notes, it.Type})
	return string(b)
}

// WriteFile saves an export to path with mode 0600, never overwriting an
// existing file; a failed write leaves no file behind (agefile.Write).
func WriteFile(path string, data []byte) error { return agefile.Write(path, data, exportKind) }
