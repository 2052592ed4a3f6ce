package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The test vectors are real Windows executables: an empty Go program
// cross-compiled with the resources of testdata/tiny.rc linked in (an icon,
// a manifest, a version resource 1.2.3.4 whose ProductName "pecheck tiny" is
// stored in UTF-16 only), as wails links Keysmith's. The .syso files are
// tiny.rc compiled by LLVM's resource compiler (Debian package llvm), not by
// this package's code; tiny.ico is build/appicon.png at 16x16:
//
//	cd scripts/pecheck/testdata && llvm-rc -no-preprocess -fo /tmp/tiny.res tiny.rc &&
//	llvm-cvtres /machine:x64 /out:tiny_amd64.syso /tmp/tiny.res &&
//	llvm-cvtres /machine:x86 /out:tiny_386.syso /tmp/tiny.res

// tinyExe builds the test vector for GOARCH amd64 or 386 (a second or so
// once the Windows standard library is in the build cache).
func tinyExe(t testing.TB, goarch string) []byte {
	t.Helper()
	dir := t.TempDir()
	syso, err := os.ReadFile(filepath.Join("testdata", "tiny_"+goarch+".syso"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"go.mod":                           []byte("module tiny\n\ngo 1.26\n"),
		"main.go":                          []byte("package main\n\nfunc main() {}\n"),
		"rsrc_windows_" + goarch + ".syso": syso,
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-H=windowsgui -s -w", "-o", "tiny.exe", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the test vector: %v\n%s", err, out)
	}
	exe, err := os.ReadFile(filepath.Join(dir, "tiny.exe"))
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

var all = want{icon: true, manifest: true, gui: true, version: "1.2.3.4", contains: []string{"pecheck tiny"}}

func TestTinyExecutables(t *testing.T) {
	for _, tc := range []struct {
		goarch, machine, kind string
	}{
		{"amd64", "amd64", "PE32+"},
		{"386", "i386", "PE32"},
	} {
		t.Run(tc.goarch, func(t *testing.T) {
			exe := tinyExe(t, tc.goarch)
			if bytes.Contains(exe, []byte("pecheck tiny")) {
				t.Fatal(`"pecheck tiny" is in the file as UTF-8: the vector no longer tests the UTF-16 search`)
			}
			w := all
			w.machine = tc.machine
			got, err := check(exe, w)
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			prefix := tc.kind + " " + tc.machine + " gui, sections "
			suffix := `.rsrc, resources [icon,icon-group,manifest,version], version 1.2.3.4, contains "pecheck tiny"`
			if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, suffix) {
				t.Errorf("summary %q, want %q...%q", got, prefix, suffix)
			}
		})
	}
}

// layout holds the file offsets of the fields the failure cases change.
type layout struct {
	coff, subsystem, rsrc int // COFF header, optional header's Subsystem, resource directory
	rsrcSize              int // of the resource section's raw data
}

func locate(t *testing.T, exe []byte) layout {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Section(".rsrc")
	if s == nil {
		t.Fatal("no .rsrc section")
	}
	coff := int(binary.LittleEndian.Uint32(exe[0x3c:])) + 4
	return layout{coff: coff, subsystem: coff + 20 + 68, rsrc: int(s.Offset), rsrcSize: int(s.Size)}
}

// rootEntry returns the file offset of the root directory's entry for a
// resource type.
func rootEntry(t *testing.T, exe []byte, l layout, typ uint32) int {
	t.Helper()
	le := binary.LittleEndian
	n := int(le.Uint16(exe[l.rsrc+12:])) + int(le.Uint16(exe[l.rsrc+14:]))
	for i := range n {
		if e := l.rsrc + 16 + 8*i; le.Uint32(exe[e:]) == typ {
			return e
		}
	}
	t.Fatalf("no resource of type %d", typ)
	return 0
}

// firstLeaf returns the file offset of the first data entry (type, name,
// language: the first entry of each).
func firstLeaf(exe []byte, l layout) int {
	off := uint32(0)
	for i := 0; i < 3; i++ {
		target := binary.LittleEndian.Uint32(exe[l.rsrc+int(off)+16+4:])
		off = target & 0x7fffffff
	}
	return l.rsrc + int(off)
}

func TestFailures(t *testing.T) {
	exe := tinyExe(t, "amd64")
	l := locate(t, exe)
	le := binary.LittleEndian
	edit := func(f func(b []byte)) []byte {
		b := bytes.Clone(exe)
		f(b)
		return b
	}
	base := all
	base.machine = "amd64"
	with := func(f func(w *want)) want {
		w := base
		w.contains = slices.Clone(base.contains)
		f(&w)
		return w
	}
	for _, tc := range []struct {
		name string
		data []byte
		want want
		err  error
	}{
		{"empty file", nil, base, errNotPE},
		{"an ELF file", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 120)...), base, errNotPE},
		{"MZ and nothing else", []byte("MZ"), base, errNotPE},
		{"MZ without a PE signature", exe[:0x40], base, errNotPE},
		{"cut in the headers", exe[:l.coff+100], base, errNotPE},
		{"cut in the resources", exe[:l.rsrc+100], base, errMalformed},
		{"a DLL", edit(func(b []byte) { b[l.coff+18+1] |= pe.IMAGE_FILE_DLL >> 8 }), base, errDLL},
		{"i386 where amd64 is wanted", edit(func(b []byte) { le.PutUint16(b[l.coff:], pe.IMAGE_FILE_MACHINE_I386) }), base, errMachine},
		{"amd64 where i386 is wanted", exe, with(func(w *want) { w.machine = "i386" }), errMachine},
		{"console subsystem", edit(func(b []byte) { le.PutUint16(b[l.subsystem:], pe.IMAGE_SUBSYSTEM_WINDOWS_CUI) }), base, errSubsystem},
		{"no icon group", edit(func(b []byte) { le.PutUint32(b[rootEntry(t, exe, l, rtGroupIcon):], 99) }), base, errNoIcon},
		{"no manifest", edit(func(b []byte) { le.PutUint32(b[rootEntry(t, exe, l, rtManifest):], 99) }), base, errNoManifest},
		{"a manifest without <assembly", edit(func(b []byte) {
			for i := bytes.Index(b, []byte("<assembly")); i >= 0; i = bytes.Index(b, []byte("<assembly")) {
				b[i+8] = 'Y'
			}
		}), base, errNoManifest},
		{"another version", exe, with(func(w *want) { w.version = "1.2.3.5" }), errVersion},
		{"a version resource without VS_FIXEDFILEINFO", edit(func(b []byte) {
			i := bytes.Index(b, le.AppendUint32(nil, 0xFEEF04BD))
			b[i] ^= 1
		}), base, errVersion},
		{"text not in the file", exe, with(func(w *want) { w.contains = append(w.contains, "Nullsoft") }), errTextNotFound},
		{"a directory that contains itself", edit(func(b []byte) { le.PutUint32(b[l.rsrc+16+4:], 0x80000000) }), base, errMalformed},
		{"directories sharing their entries", edit(func(b []byte) {
			// The root, A and B of n entries each, every entry leading to
			// the next directory and B's to one data entry: n^3 leaves from
			// a few kilobytes, unless a shared entry is refused.
			leaf := bytes.Clone(b[firstLeaf(exe, l):][:16])
			n := (l.rsrcSize/3 - 32) / 8
			dir := 16 + 8*n
			for d := 0; d < 3; d++ {
				at := l.rsrc + d*dir
				clear(b[at : at+16])
				le.PutUint16(b[at+14:], uint16(n))
				for i := 0; i < n; i++ {
					le.PutUint32(b[at+16+8*i:], uint32(i+1))
					next := uint32((d + 1) * dir)
					if d < 2 {
						next |= 0x80000000
					}
					le.PutUint32(b[at+16+8*i+4:], next)
				}
			}
			copy(b[l.rsrc+3*dir:], leaf)
		}), base, errMalformed},
		{"65535 entries", edit(func(b []byte) { le.PutUint16(b[l.rsrc+14:], 0xffff) }), base, errMalformed},
		{"data beyond the file's sections", edit(func(b []byte) { le.PutUint32(b[firstLeaf(exe, l):], 0xffffff00) }), base, errMalformed},
		{"data longer than its section", edit(func(b []byte) { le.PutUint32(b[firstLeaf(exe, l)+4:], 0x7fffffff) }), base, errMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := check(tc.data, tc.want)
			if !errors.Is(err, tc.err) {
				t.Fatalf("check = %q, %v; want the error %q", got, err, tc.err)
			}
		})
	}
}

// TestRun runs the command as test-dist does: the file first, flags with
// two dashes after it.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tiny.exe")
	if err := os.WriteFile(exe, tinyExe(t, "386"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		out    string // prefix of stdout
	}{
		{"all checks", []string{exe, "--machine", "i386", "--gui", "--icon", "--manifest", "--version", "1.2.3.4", "--contains", "pecheck tiny", "--contains", "tiny"}, 0, "ok: PE32 i386 gui, "},
		{"flags first, one dash", []string{"-machine=i386", "-gui", exe}, 0, "ok: PE32 i386 gui, "},
		{"a failing check", []string{exe, "--machine", "amd64"}, 1, "FAIL: wrong machine: i386, want amd64\n"},
		{"a missing file", []string{filepath.Join(dir, "missing.exe")}, 1, "FAIL: "},
		{"no file", []string{"--gui"}, 2, ""},
		{"two files", []string{exe, exe}, 2, ""},
		{"an unknown flag", []string{exe, "--arch", "x"}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tc.args, &stdout, &stderr)
			if status != tc.status || !strings.HasPrefix(stdout.String(), tc.out) || (tc.out == "") != (stdout.Len() == 0) {
				t.Errorf("status %d, stdout %q (stderr %q); want %d, %q...", status, stdout.String(), stderr.String(), tc.status, tc.out)
			}
		})
	}
}

// compact keeps the headers and the resource section of exe only: a PE of
// a few kilobytes that still passes the resource checks, for the fuzzer
// to mutate quickly.
func compact(t testing.TB, exe []byte) []byte {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	coff := int(le.Uint32(exe[0x3c:])) + 4
	table := coff + 20 + int(le.Uint16(exe[coff+16:]))
	for i, s := range f.Sections {
		if s.Name != ".rsrc" {
			continue
		}
		out := bytes.Clone(exe[:table])
		le.PutUint16(out[coff+2:], 1) // NumberOfSections
		le.PutUint64(out[coff+8:], 0) // PointerToSymbolTable, NumberOfSymbols
		out = append(out, exe[table+40*i:table+40*i+40]...)
		le.PutUint32(out[table+20:], uint32(len(out))) // PointerToRawData
		return append(out, exe[s.Offset:s.Offset+s.Size]...)
	}
	t.Fatal("no .rsrc section")
	return nil
}

// FuzzInspect: whatever the bytes, inspect returns an image or an error,
// never a panic or an out-of-range read. The seeds are the two vectors
// reduced to their headers and resources.
func FuzzInspect(f *testing.F) {
	for _, goarch := range []string{"amd64", "386"} {
		seed := compact(f, tinyExe(f, goarch))
		if _, err := check(seed, want{gui: true, icon: true, manifest: true, version: "1.2.3.4"}); err != nil {
			f.Fatalf("the %s seed (%d bytes) fails the checks: %v", goarch, len(seed), err)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inspect(data)
	})
}
