// Package frequency holds zxcvbn's ranked word lists.
//
// The lists are embedded gzip-compressed, one word per line in rank order,
// and decoded on first use: a program that links zxcvbn but never scores a
// password pays neither the start-up time nor the memory of the lists.
package frequency

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"path"
	"strings"
	"sync"
)

//go:embed lists/*.txt.gz
var files embed.FS

// Lists returns the word lists by name, each in rank order (most common
// first). It decodes them once; the result is shared and must not be changed.
var Lists = sync.OnceValue(func() map[string][]string {
	entries, err := files.ReadDir("lists")
	if err != nil {
		panic("zxcvbn/frequency: " + err.Error())
	}
	lists := make(map[string][]string, len(entries))
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".txt.gz")
		lists[name] = decode(path.Join("lists", e.Name()))
	}
	return lists
})

// decode reads one embedded list; the files are part of the binary, so a
// failure is a build defect and panics.
func decode(name string) []string {
	raw, err := files.ReadFile(name)
	if err == nil {
		var z *gzip.Reader
		if z, err = gzip.NewReader(bytes.NewReader(raw)); err == nil {
			var text []byte
			if text, err = io.ReadAll(z); err == nil {
				return strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
			}
		}
	}
	panic("zxcvbn/frequency: " + name + ": " + err.Error())
}
