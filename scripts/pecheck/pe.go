package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
)

// Why a file fails. Each check's message starts with one of these, and the
// tests tell the failures apart with errors.Is.
var (
	errNotPE        = errors.New("not a PE file")
	errMalformed    = errors.New("malformed resource directory")
	errDLL          = errors.New("a DLL, not an executable")
	errMachine      = errors.New("wrong machine")
	errSubsystem    = errors.New("not the GUI subsystem")
	errNoIcon       = errors.New("no icon resource")
	errNoManifest   = errors.New("no manifest resource")
	errVersion      = errors.New("wrong version resource")
	errTextNotFound = errors.New("text not found")
)

// Resource type ids (winuser.h). Named types (a string instead of an id) are
// filed under typeNamed: none of them is checked.
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
	rtManifest  = 24
	typeNamed   = 1 << 31
)

var machines = map[uint16]string{
	pe.IMAGE_FILE_MACHINE_AMD64: "amd64",
	pe.IMAGE_FILE_MACHINE_I386:  "i386",
	pe.IMAGE_FILE_MACHINE_ARM64: "arm64",
}

// image is what the checks look at.
type image struct {
	kind      string // PE32 or PE32+
	machine   string // amd64, i386, arm64 or the hex id
	subsystem uint16
	dll       bool
	sections  []string
	resources map[uint32][][]byte // data of each leaf, by resource type id
	version   [2]string           // VS_FIXEDFILEINFO file and product version, "" if none
}

// inspect reads the headers and section table with debug/pe, then walks the
// resource directory, which debug/pe does not read.
func inspect(data []byte) (*image, error) {
	// debug/pe takes a file without the MZ stub for a COFF object (a .syso):
	// an executable must have it.
	if len(data) < 0x40 || data[0] != 'M' || data[1] != 'Z' {
		return nil, fmt.Errorf("%w: no MZ header", errNotPE)
	}
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotPE, err)
	}
	img := &image{
		machine:   machines[f.Machine],
		dll:       f.Characteristics&pe.IMAGE_FILE_DLL != 0,
		resources: map[uint32][][]byte{},
	}
	if img.machine == "" {
		img.machine = fmt.Sprintf("%#x", f.Machine)
	}
	var rsrc pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		img.kind, img.subsystem = "PE32+", oh.Subsystem
		if oh.NumberOfRvaAndSizes > pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
			rsrc = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
		}
	case *pe.OptionalHeader32:
		img.kind, img.subsystem = "PE32", oh.Subsystem
		if oh.NumberOfRvaAndSizes > pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
			rsrc = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
		}
	default:
		return nil, fmt.Errorf("%w: no optional header", errNotPE)
	}
	for _, s := range f.Sections {
		img.sections = append(img.sections, s.Name)
	}
	if rsrc.VirtualAddress != 0 {
		r := resourceWalker{data: data, sections: f.Sections, out: img.resources}
		// The directory's offsets are relative to its start and may reach
		// to the end of the section that holds it.
		var ok bool
		if r.dir, ok = r.bytes(rsrc.VirtualAddress, 0); !ok {
			return nil, fmt.Errorf("%w: directory at RVA %#x is outside the file's sections", errMalformed, rsrc.VirtualAddress)
		}
		if err := r.walk(0, 0, 0); err != nil {
			return nil, err
		}
	}
	for _, b := range img.resources[rtVersion] {
		if v, ok := fixedVersion(b); ok {
			img.version = v
			break
		}
	}
	return img, nil
}

// resourceWalker walks the resource directory tree: type, then name, then
// language. A directory (IMAGE_RESOURCE_DIRECTORY) is 16 bytes, ending with
// the number of named entries and of id entries (uint16 each at 12 and 14),
// followed by its 8-byte entries: a name or id (uint32; high bit: a name),
// then an offset (uint32) from the start of the resource directory, to a
// subdirectory when its high bit is set, else to a data entry
// (IMAGE_RESOURCE_DATA_ENTRY: the data's RVA and size, uint32 each).
type resourceWalker struct {
	data     []byte
	sections []*pe.Section
	dir      []byte // from the resource directory to the end of its section
	out      map[uint32][][]byte
	entries  int // visited so far: in a tree, at most one per 8 bytes of dir
}

func (r *resourceWalker) walk(off uint32, depth int, typ uint32) error {
	le := binary.LittleEndian
	if depth > 2 { // three levels: no loop
		return fmt.Errorf("%w: more than three levels", errMalformed)
	}
	if uint64(off)+16 > uint64(len(r.dir)) {
		return fmt.Errorf("%w: directory at %#x beyond the section", errMalformed, off)
	}
	n := uint64(le.Uint16(r.dir[off+12:])) + uint64(le.Uint16(r.dir[off+14:]))
	if uint64(off)+16+8*n > uint64(len(r.dir)) {
		return fmt.Errorf("%w: %d entries at %#x beyond the section", errMalformed, n, off)
	}
	if r.entries += int(n); r.entries > len(r.dir)/8 {
		return fmt.Errorf("%w: entries shared between directories", errMalformed)
	}
	for i := range uint32(n) {
		e := r.dir[off+16+8*i:]
		name, target := le.Uint32(e), le.Uint32(e[4:])
		t := typ
		if depth == 0 {
			t = name
			if name&0x80000000 != 0 {
				t = typeNamed
			}
		}
		if target&0x80000000 != 0 {
			if err := r.walk(target&0x7fffffff, depth+1, t); err != nil {
				return err
			}
			continue
		}
		if uint64(target)+8 > uint64(len(r.dir)) {
			return fmt.Errorf("%w: data entry at %#x beyond the section", errMalformed, target)
		}
		rva, size := le.Uint32(r.dir[target:]), le.Uint32(r.dir[target+4:])
		b, ok := r.bytes(rva, size)
		if !ok {
			return fmt.Errorf("%w: %d bytes of data at RVA %#x outside the file's sections", errMalformed, size, rva)
		}
		r.out[t] = append(r.out[t], b)
	}
	return nil
}

// bytes returns size bytes at the relative virtual address rva, from the
// raw data of the section that holds them (or, with size 0, everything from
// rva to the end of that section's raw data).
func (r *resourceWalker) bytes(rva, size uint32) ([]byte, bool) {
	for _, s := range r.sections {
		if rva < s.VirtualAddress || rva-s.VirtualAddress >= max(s.VirtualSize, s.Size) {
			continue
		}
		start := uint64(s.Offset) + uint64(rva-s.VirtualAddress)
		end := uint64(s.Offset) + uint64(s.Size)
		if size != 0 {
			end = start + uint64(size)
		}
		if end > uint64(s.Offset)+uint64(s.Size) || end > uint64(len(r.data)) || start > end {
			return nil, false
		}
		return r.data[start:end], true
	}
	return nil, false
}

// fixedVersion reads the file and product version of a version resource.
// VS_VERSIONINFO starts with three uint16 (its length, the length of its
// value, its type), the key "VS_VERSION_INFO" in UTF-16 with a NUL, padding
// to 4 bytes, then the value: VS_FIXEDFILEINFO, whose signature 0xFEEF04BD
// and struct version are followed by the file version (most, then least
// significant uint32) and the product version, each as four uint16 X.Y.Z.W.
func fixedVersion(b []byte) ([2]string, bool) {
	const key, valueAt, fixedSize = "VS_VERSION_INFO\x00", 40, 52
	le := binary.LittleEndian
	if len(b) < valueAt+fixedSize || le.Uint16(b[2:]) < fixedSize ||
		!bytes.Equal(b[6:6+2*len(key)], utf16le(key)) || le.Uint32(b[valueAt:]) != 0xFEEF04BD {
		return [2]string{}, false
	}
	v := func(at int) string {
		ms, ls := le.Uint32(b[at:]), le.Uint32(b[at+4:])
		return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff)
	}
	return [2]string{v(valueAt + 8), v(valueAt + 16)}, true
}

func utf16le(s string) []byte {
	var out []byte
	for _, r := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, r)
	}
	return out
}

// want is what the command line asks.
type want struct {
	machine  string // "" for any
	gui      bool
	icon     bool
	manifest bool
	version  string // X.Y.Z.W for both file and product version, "" for any
	contains []string
}

// check inspects data, checks it against w and returns the one-line summary
// of what it found, or the first failure.
func check(data []byte, w want) (string, error) {
	img, err := inspect(data)
	if err != nil {
		return "", err
	}
	res := img.resources
	if img.dll {
		return "", errDLL
	}
	if w.machine != "" && img.machine != w.machine {
		return "", fmt.Errorf("%w: %s, want %s", errMachine, img.machine, w.machine)
	}
	if w.gui && img.subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		return "", fmt.Errorf("%w: %s", errSubsystem, subsystemName(img.subsystem))
	}
	if w.icon && (len(res[rtGroupIcon]) == 0 || len(res[rtIcon]) == 0) {
		return "", errNoIcon
	}
	if w.manifest && (len(res[rtManifest]) == 0 || !bytes.Contains(res[rtManifest][0], []byte("<assembly"))) {
		return "", errNoManifest
	}
	if w.version != "" && img.version != [2]string{w.version, w.version} {
		return "", fmt.Errorf("%w: file %s product %s, want %s", errVersion, orNone(img.version[0]), orNone(img.version[1]), w.version)
	}
	for _, text := range w.contains {
		if !bytes.Contains(data, []byte(text)) && !bytes.Contains(data, utf16le(text)) {
			return "", fmt.Errorf("%w: %q", errTextNotFound, text)
		}
	}
	names := map[uint32]string{rtIcon: "icon", rtGroupIcon: "icon-group", rtVersion: "version", rtManifest: "manifest", typeNamed: "named"}
	var kinds []string
	for t := range res {
		if n, ok := names[t]; ok {
			kinds = append(kinds, n)
		} else {
			kinds = append(kinds, fmt.Sprint(t))
		}
	}
	slices.Sort(kinds)
	var found strings.Builder
	for _, text := range w.contains {
		fmt.Fprintf(&found, ", contains %q", text)
	}
	return fmt.Sprintf("%s %s %s, sections %s, resources [%s], version %s%s", img.kind, img.machine,
		subsystemName(img.subsystem), strings.Join(img.sections, ","), strings.Join(kinds, ","),
		orNone(img.version[0]), found.String()), nil
}

func subsystemName(s uint16) string {
	switch s {
	case pe.IMAGE_SUBSYSTEM_WINDOWS_GUI:
		return "gui"
	case pe.IMAGE_SUBSYSTEM_WINDOWS_CUI:
		return "console"
	}
	return fmt.Sprint(s)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
