package vault

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"filippo.io/age"

	"keysmith/app/core/errs"
	"keysmith/app/core/input"
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

// ReadExport reads an export file for Import: a regular file of at most
// MaxExportFile bytes, or an *errs.Invalid that says why not. The size is
// checked before and while reading, so a growing or endless file is
// refused without being held in memory.
func ReadExport(path string) ([]byte, error) {
	// Looked at before it is opened: opening a named pipe would wait for a
	// writer. Checked again once open, in case it was swapped meanwhile.
	if fi, err := os.Stat(path); err != nil {
		return nil, errs.Invalidf("path", "Cannot read %s: %s.", path, errs.SystemText(err))
	} else if !fi.Mode().IsRegular() {
		return nil, errs.Invalidf("path", "%s is not a file; choose a Keysmith export file.", path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, errs.Invalidf("path", "Cannot read %s: %s.", path, errs.SystemText(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, errs.Invalidf("path", "%s is not a file; choose a Keysmith export file.", path)
	}
	if fi.Size() > MaxExportFile {
		return nil, errs.Invalidf("path", "%s is larger than any Keysmith export can be (%d MiB); nothing was imported.", path, MaxExportFile>>20)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxExportFile+1))
	if err != nil {
		return nil, errs.Invalidf("path", "Cannot read %s: %s.", path, errs.SystemText(err))
	}
	if len(data) > MaxExportFile {
		return nil, errs.Invalidf("path", "%s is larger than any Keysmith export can be (%d MiB); nothing was imported.", path, MaxExportFile>>20)
	}
	return data, nil
}

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
	rcpt, err := age.NewScryptRecipient(NormalizePassphrase(passphrase))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, rcpt)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
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
	id, err := age.NewScryptIdentity(NormalizePassphrase(passphrase))
	if err != nil {
		return exportDoc{}, err
	}
	id.SetMaxWorkFactor(maxWork)
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		var wrong *age.NoIdentityMatchError
		if errors.As(err, &wrong) {
			// Not the vault's passphrase: say which one is wrong.
			return exportDoc{}, errors.Join(errs.Invalidf("passphrase", "The export file's passphrase is wrong; nothing was imported."), ErrWrongPassphrase)
		}
		// age's reason can quote the file's first bytes (say, a .env chosen
		// by mistake): it stays out of the error, which reaches the log.
		return exportDoc{}, fmt.Errorf("%w: not an age-encrypted file", ErrBadExport)
	}
	plain, err := io.ReadAll(io.LimitReader(r, maxExportSize+1))
	if err != nil || len(plain) > maxExportSize {
		return exportDoc{}, fmt.Errorf("%w: damaged or too large", ErrBadExport)
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
// existing file; a failed write leaves no file behind.
func WriteFile(path string, data []byte) error {
	if input.HasControl(path) {
		return errs.Invalidf("path", "The export path contains a control character (a line break, say); type it again.")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
			return errs.Invalidf("path", "%s is a folder; give the full path of a new file in it, such as %s.", path, filepath.Join(path, "keysmith-vault.age"))
		}
		if os.IsExist(err) {
			return errs.Invalidf("path", "That file already exists; choose another name.")
		}
		return errs.Invalidf("path", "Keysmith cannot write there; choose another folder.")
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return errs.Invalidf("path", "Writing the export failed; nothing was saved.")
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return errs.Invalidf("path", "Writing the export failed; nothing was saved.")
	}
	return nil
}
