package core_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// imports maps every non-test Go file under root (and the extra files) to
// the import paths it names.
func imports(t *testing.T, roots ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, im := range f.Imports {
				p, _ := strconv.Unquote(im.Path.Value)
				out[path] = append(out[path], p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Go files under %v", roots)
	}
	return out
}

// TestLayout holds the split the tree shows: the core (app/core) knows no
// face and no GUI toolkit, and the faces (app/face, the root package) reach
// the data only through the core's services, never the store or the key
// file.
func TestLayout(t *testing.T) {
	t.Parallel()
	for file, ims := range imports(t, ".") {
		for _, p := range ims {
			if strings.HasPrefix(p, "keysmith/app/face") || strings.HasPrefix(p, "github.com/wailsapp") {
				t.Errorf("core file %s imports %s", file, p)
			}
		}
	}
	faces := imports(t, "../face", "../../main.go", "../../window.go", "../../bindings.go", "../../nobindings.go")
	for file, ims := range faces {
		for _, p := range ims {
			switch p {
			case "keysmith/app/core/store", "keysmith/app/core/keyfile", "database/sql":
				t.Errorf("face file %s imports %s: faces use the core's services", file, p)
			}
		}
	}
}
