package credentials_test

import (
	"strings"
	"testing"

	"keysmith/app/core/credentials"
)

func TestLegacyPasswordWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		username, password string
		weak               bool
	}{
		{"johnsmith", "Passw0rd", true},
		{"johnsmith", "Johnsmith1", true}, // the username is a guessable word
		{"johnsmith", "Abc123", true},
		{"johnsmith", "Qwerty123", true},
		{"johnsmith", "Tq7mZr4WbX9pLk2v", false},
		{"johnsmith", "HorseBatteryStaple42", false},
		{"johnsmith", "passw0rd", false},              // breaks a rule: the rule's message, not a warning
		{"johnsmith", strings.Repeat("A", 51), false}, // too long: never scored
	} {
		w := credentials.LegacyPasswordWarning(tc.username, tc.password)
		if (w != "") != tc.weak || strings.Contains(w, tc.password) {
			t.Errorf("%q: warning %q, want weak %v", tc.password, w, tc.weak)
		}
	}
}
