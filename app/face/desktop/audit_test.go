package desktop_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/face/desktop"
)

// The Audit log page exports the entries its filter matches, every page of
// them, as CSV or JSON through the Save dialog; spreadsheet formulas in a
// cell stay text.
func TestExportAudit(t *testing.T) {
	t.Parallel()
	a, board, _ := attached(t)
	for i := range 3 {
		if _, err := a.CreateKey(desktop.CreateKeyRequest{Type: "basic", Name: fmt.Sprintf("Export me %d", i), Expires: "never"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.ExportAudit(desktop.AuditFilter{Query: "credential.create"}, "xml"); problem(t, err).Field != "format" {
		t.Fatalf("an unknown format: %v", err)
	}
	if res, err := a.ExportAudit(desktop.AuditFilter{Query: "credential.create"}, "csv"); err != nil || res.Saved {
		t.Fatalf("export with the dialog cancelled: %+v %v", res, err)
	}
	dir := t.TempDir()
	board.answer(filepath.Join(dir, "audit.csv"))
	res, err := a.ExportAudit(desktop.AuditFilter{Query: "credential.create"}, "csv")
	if err != nil || !res.Saved {
		t.Fatalf("export: %+v %v", res, err)
	}
	rows, err := csv.NewReader(strings.NewReader(readFile(t, res.Path))).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "seq,time_utc,actor,action,target,detail" {
		t.Fatalf("csv: %v %v", rows, err)
	}
	for _, r := range rows[1:] {
		if r[3] != "credential.create" {
			t.Fatalf("a row the filter does not match: %v", r)
		}
	}
	if fi, _ := os.Stat(res.Path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	board.answer(filepath.Join(dir, "audit.json"))
	if res, err = a.ExportAudit(desktop.AuditFilter{}, "json"); err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(readFile(t, res.Path)), &entries); err != nil || len(entries) < 4 {
		t.Fatalf("json: %d entries, %v", len(entries), err)
	}
	for in, want := range map[string]string{"=1+1": "'=1+1", "+x": "'+x", "-x": "'-x", "@x": "'@x", "plain": "plain", "": ""} {
		if got := desktop.Cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
