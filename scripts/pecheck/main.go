// Command pecheck checks that a file is a valid Windows executable (make
// test-dist): the machine, the GUI subsystem, an icon group, a manifest, the
// fixed file and product version of the version resource, and byte strings
// in the file (searched as ASCII and as UTF-16LE). The headers and sections
// come from debug/pe; only the resource directory, which debug/pe does not
// read, is walked here.
//
//	go run ./scripts/pecheck FILE [-machine amd64|i386] [-gui] [-version X.Y.Z.W]
//	                              [-icon] [-manifest] [-contains TEXT]...
//
// It prints a one-line summary, or FAIL and the reason with exit status 1.
package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode/utf16"
)

const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
	rtManifest  = 24
)

var machines = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_I386: "i386", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	machine := flag.String("machine", "", "amd64 or i386")
	gui := flag.Bool("gui", false, "GUI subsystem")
	version := flag.String("version", "", "fixed file and product version X.Y.Z.W")
	icon := flag.Bool("icon", false, "an icon group resource")
	manifest := flag.Bool("manifest", false, "a manifest resource")
	var contains list
	flag.Var(&contains, "contains", "text the file must contain (repeatable)")
	args := os.Args[1:]
	if len(args) == 0 {
		fail("usage: pecheck FILE [flags]")
	}
	file := args[0]
	flag.CommandLine.Parse(args[1:])

	data, err := os.ReadFile(file)
	if err != nil {
		fail("%v", err)
	}
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		fail("not a PE file: %v", err)
	}
	var subsystem uint16
	var rsrc pe.DataDirectory
	kind := "PE32"
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		kind, subsystem, rsrc = "PE32+", oh.Subsystem, oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	case *pe.OptionalHeader32:
		subsystem, rsrc = oh.Subsystem, oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
	default:
		fail("no optional header")
	}
	if f.Characteristics&pe.IMAGE_FILE_DLL != 0 {
		fail("%s is a DLL", file)
	}
	m := machines[f.Machine]
	if *machine != "" && m != *machine {
		fail("machine is %s, want %s", m, *machine)
	}
	if *gui && subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		fail("subsystem is %d, want the GUI subsystem", subsystem)
	}
	res := resources(f, rsrc)
	if *icon && (len(res[rtGroupIcon]) == 0 || len(res[rtIcon]) == 0) {
		fail("no icon resource")
	}
	if *manifest && (len(res[rtManifest]) == 0 || !bytes.Contains(res[rtManifest][0], []byte("<assembly"))) {
		fail("no manifest resource")
	}
	fv, pv := fixedVersion(res[rtVersion])
	if *version != "" && (fv != *version || pv != *version) {
		fail("version resource file %s product %s, want %s", fv, pv, *version)
	}
	for _, text := range contains {
		if !bytes.Contains(data, []byte(text)) && !bytes.Contains(data, utf16le(text)) {
			fail("%q not found in the file", text)
		}
	}
	names := map[uint32]string{rtIcon: "icon", rtGroupIcon: "icon-group", rtVersion: "version", rtManifest: "manifest"}
	var kinds, sections []string
	for t := range res {
		if n, ok := names[t]; ok {
			kinds = append(kinds, n)
		} else {
			kinds = append(kinds, fmt.Sprint(t))
		}
	}
	sort.Strings(kinds)
	for _, s := range f.Sections {
		sections = append(sections, s.Name)
	}
	var extra string
	for _, c := range contains {
		extra += fmt.Sprintf(", contains %q", c)
	}
	fmt.Printf("ok: %s %s %s, sections %s, resources [%s], version %s%s\n", kind, m,
		map[bool]string{true: "gui", false: "console"}[subsystem == pe.IMAGE_SUBSYSTEM_WINDOWS_GUI],
		strings.Join(sections, ","), strings.Join(kinds, ","), fv, extra)
}

// resources walks the resource directory (type, name, language) and returns
// each leaf's data by resource type id.
func resources(f *pe.File, dir pe.DataDirectory) map[uint32][][]byte {
	out := map[uint32][][]byte{}
	var sec *pe.Section
	for _, s := range f.Sections {
		if dir.VirtualAddress >= s.VirtualAddress && dir.VirtualAddress < s.VirtualAddress+max(s.VirtualSize, s.Size) {
			sec = s
		}
	}
	if sec == nil || dir.VirtualAddress == 0 {
		return out
	}
	raw, err := sec.Data()
	if err != nil {
		fail("resource section: %v", err)
	}
	base := dir.VirtualAddress - sec.VirtualAddress
	u16 := func(o uint32) uint32 { return uint32(binary.LittleEndian.Uint16(raw[o:])) }
	u32 := func(o uint32) uint32 { return binary.LittleEndian.Uint32(raw[o:]) }
	var walk func(off uint32, depth int, typ uint32)
	walk = func(off uint32, depth int, typ uint32) {
		if depth > 3 || int(base+off+16) > len(raw) {
			fail("resource directory out of bounds")
		}
		n := u16(base+off+12) + u16(base+off+14)
		for i := uint32(0); i < n; i++ {
			e := base + off + 16 + 8*i
			name, target := u32(e), u32(e+4)
			t := typ
			if depth == 0 {
				t = name // named types (high bit set) keep their offset; none are checked
			}
			if target&0x80000000 != 0 {
				walk(target&0x7fffffff, depth+1, t)
				continue
			}
			rva, size := u32(base+target), u32(base+target+4)
			start := rva - sec.VirtualAddress
			if int(start+size) > len(raw) {
				fail("resource data out of bounds")
			}
			out[t] = append(out[t], raw[start:start+size])
		}
	}
	walk(0, 0, 0)
	return out
}

// fixedVersion reads VS_FIXEDFILEINFO's file and product versions.
func fixedVersion(blocks [][]byte) (file, product string) {
	sig := binary.LittleEndian.AppendUint32(nil, 0xFEEF04BD)
	for _, b := range blocks {
		i := bytes.Index(b, sig)
		if i < 0 || i+24 > len(b) {
			continue
		}
		v := func(ms, ls uint32) string {
			return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff)
		}
		le := binary.LittleEndian
		return v(le.Uint32(b[i+8:]), le.Uint32(b[i+12:])), v(le.Uint32(b[i+16:]), le.Uint32(b[i+20:]))
	}
	return "", ""
}

func utf16le(s string) []byte {
	var out []byte
	for _, r := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, r)
	}
	return out
}
