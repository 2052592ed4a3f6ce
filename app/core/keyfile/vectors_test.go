package keyfile

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

var vectorCases = []struct {
	seed    byte
	purpose string
}{
	{7, "audit chain v1"},
	{1, "x"},
	{0, ""},
	{0xff, "sessions"},
}

func formatVectors() string {
	var b strings.Builder
	for _, c := range vectorCases {
		fmt.Fprintf(&b, "%02x %q %s\n", c.seed, c.purpose, hex.EncodeToString(ForTest(c.seed).Derive(c.purpose)))
	}
	return b.String()
}

func TestMain(m *testing.M) {
	flag.Parse()
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(filepath.Join("testdata", "derive_vectors.txt"), []byte(formatVectors()), 0o644); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
