package core_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

// layout reads README's Layout tree: every path it names, from the
// indentation of its name column (two spaces a level; names end where the
// description column starts).
func layout(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "\n## Layout\n")
	_, tree, _ := strings.Cut(section, "```\n")
	tree, _, _ = strings.Cut(tree, "```")
	var paths, parents []string
	for _, line := range strings.Split(strings.TrimSpace(tree), "\n") {
		names := line
		if i := strings.Index(line, "  "); i >= 0 {
			names = line[:i]
			if strings.TrimSpace(names) == "" { // indented: a name, or a description's next line
				rest := strings.TrimLeft(line, " ")
				if j := strings.Index(rest, "  "); j >= 0 && len(line)-len(rest) < 20 {
					names = line[:len(line)-len(rest)+j]
				} else if len(line)-len(rest) < 20 {
					names = line
				}
			}
		}
		if strings.TrimSpace(names) == "" {
			continue
		}
		level := (len(names) - len(strings.TrimLeft(names, " "))) / 2
		parents = parents[:min(level, len(parents))]
		for _, n := range strings.Split(strings.TrimSpace(names), ", ") {
			paths = append(paths, filepath.Join(append(slices.Clone(parents), n)...))
		}
		if n := strings.TrimSpace(names); strings.HasSuffix(n, "/") && !strings.Contains(n, ", ") {
			parents = append(parents, strings.TrimSuffix(n, "/"))
		}
	}
	return paths
}

// TestReadmeLayout keeps README's Layout true: every path it names exists,
// and it names every Go package under app/, every folder under tests/ and
// every script.
func TestReadmeLayout(t *testing.T) {
	named := map[string]bool{}
	for _, p := range layout(t) {
		m, _ := filepath.Glob(filepath.Join("../..", p))
		if len(m) == 0 {
			t.Errorf("README's Layout names %s, which does not exist", p)
		}
		for _, f := range m {
			rel, _ := filepath.Rel("../..", f)
			named[rel] = true
		}
	}
	var want []string
	filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			if dir := filepath.Join("app", filepath.Dir(path)[len(".."):]); !slices.Contains(want, dir) {
				want = append(want, dir)
			}
		}
		return err
	})
	for _, dir := range []string{"tests", "scripts"} {
		es, err := os.ReadDir(filepath.Join("../..", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Name() != "node_modules" {
				want = append(want, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(want) < 20 {
		t.Fatalf("found only %v", want)
	}
	for _, p := range want {
		if !named[filepath.Clean(p)] {
			t.Errorf("README's Layout does not name %s", p)
		}
	}
}
