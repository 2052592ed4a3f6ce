//go:build !windows

package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keysmith/app/core/errs"
)

func TestRead(t *testing.T) {
	t.Parallel()
	const secret = "correct horse battery staple"
	cases := []struct {
		name    string
		content string
		mode    os.FileMode
		dir     bool
		missing bool
		want    string // "" means refused
		refusal string // part of the refusal's text
	}{
		{name: "owner only", content: secret + "\n", mode: 0o600, want: secret},
		{name: "systemd credential", content: secret, mode: 0o400, want: secret},
		{name: "windows line ending", content: secret + "\r\n", mode: 0o600, want: secret},
		{name: "first line only", content: secret + "\nsecond line\n", mode: 0o600, want: secret},
		{name: "group readable", content: secret, mode: 0o640, refusal: "chmod 600"},
		{name: "world readable", content: secret, mode: 0o644, refusal: "chmod 600"},
		{name: "group writable", content: secret, mode: 0o620, refusal: "chmod 600"},
		{name: "empty", content: "", mode: 0o600, refusal: "is empty"},
		{name: "empty first line", content: "\n" + secret, mode: 0o600, refusal: "is empty"},
		{name: "too large", content: strings.Repeat("x", MaxSize+1), mode: 0o600, refusal: "larger than"},
		{name: "directory", dir: true, refusal: "not a regular file"},
		{name: "missing", missing: true, refusal: "Cannot read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "password")
			switch {
			case tc.dir:
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			case !tc.missing:
				if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Read(path, "KEYSMITH_X_FILE", "password")
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("Read = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Read = %q, want a refusal", got)
			}
			var inv *errs.Invalid
			if !errors.As(err, &inv) || inv.Field != "password" {
				t.Errorf("refusal %v: want an invalid-input error on field password", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.refusal) || !strings.Contains(msg, "KEYSMITH_X_FILE") {
				t.Errorf("refusal %q: want it to contain %q and the variable's name", msg, tc.refusal)
			}
			if tc.content != "" && strings.Contains(msg, secret) {
				t.Errorf("refusal %q shows the file's content", msg)
			}
		})
	}
}
