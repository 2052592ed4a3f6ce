// Command pecheck checks that a file is a Windows executable as make
// test-dist expects the release exe and installer to be.
//
//	go run ./scripts/pecheck FILE [-machine amd64|i386] [-gui] [-icon] [-manifest]
//	                              [-version X.Y.Z.W] [-contains TEXT]...
//
// Flags may come before or after FILE, with one dash or two. It always
// refuses a DLL, a file without the MZ stub and PE headers, and a resource
// directory that points outside the file. Then, as asked: the machine, the
// GUI subsystem, an icon (RT_GROUP_ICON and RT_ICON), a manifest
// (RT_MANIFEST holding "<assembly"), the file and product version of the
// version resource (VS_FIXEDFILEINFO, both X.Y.Z.W), and each TEXT somewhere
// in the file as UTF-8 or UTF-16LE.
//
// It prints "ok: " and a one-line summary, or "FAIL: " and the first failure
// with exit status 1 (2 for a usage error).
//
// The headers and the section table come from debug/pe. The resource
// directory, which debug/pe does not read, is walked here (pe.go): its three
// levels of entries, every offset checked against the section that holds it;
// of the resources' contents only the version resource is read, from its
// fixed layout.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var w want
	fs.StringVar(&w.machine, "machine", "", "the machine: amd64, i386 or arm64")
	fs.BoolVar(&w.gui, "gui", false, "the GUI subsystem")
	fs.BoolVar(&w.icon, "icon", false, "an icon resource")
	fs.BoolVar(&w.manifest, "manifest", false, "a manifest resource")
	fs.StringVar(&w.version, "version", "", "the fixed file and product version, X.Y.Z.W")
	fs.Var((*list)(&w.contains), "contains", "text the file must contain, as UTF-8 or UTF-16LE (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pecheck FILE [flags]")
		fs.PrintDefaults()
	}
	// flag stops at the first argument that is not a flag: take it as the
	// file and go on, so that flags may follow it.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return 2
	}
	data, err := os.ReadFile(files[0])
	if err == nil {
		var summary string
		if summary, err = check(data, w); err == nil {
			fmt.Fprintln(stdout, "ok: "+summary)
			return 0
		}
	}
	fmt.Fprintln(stdout, "FAIL: "+err.Error())
	return 1
}
