package desktop_test

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"keysmith/app/core/verify"
	"keysmith/app/face/desktop"
	"keysmith/app/testkit"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestVerifierFromTheWindow(t *testing.T) {
	t.Parallel()
	a, _, _ := attached(t)
	port := freePort(t)
	if st, err := a.StartVerifier(80, false); err == nil || st.Running {
		t.Fatalf("privileged port accepted: %v", err)
	}
	st, err := a.StartVerifier(port, false)
	if err != nil || !st.Running || !strings.HasSuffix(st.Address, ":"+strconv.Itoa(port)) {
		t.Fatalf("start: %+v %v", st, err)
	}
	defer a.StopVerifier()
	if _, err := a.StartVerifier(port, false); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second start: %v", err)
	}
	for _, typ := range []string{"basic", "hmac"} {
		ns, err := a.CreateKey(desktop.CreateKeyRequest{Type: typ, Name: "Try " + typ})
		if err != nil {
			t.Fatal(err)
		}
		sn, err := a.CredentialSnippets(ns.Credential.ID, "")
		if err != nil || !strings.Contains(sn.Curl, "curl -i") || !strings.Contains(sn.Node, ns.Credential.Key) || sn.Authorization == "" {
			t.Fatalf("%s snippets: %+v %v", typ, sn, err)
		}
		if strings.Contains(sn.Node, ns.Secret) {
			t.Fatalf("%s: the Node snippet embeds the secret instead of reading it from the environment", typ)
		}
		res, err := a.TestCredential(ns.Credential.ID, "")
		if err != nil || !res.Accepted {
			t.Fatalf("%s live check with the confirmation's secret: %+v %v", typ, res, err)
		}
		res, err = a.TestCredential(ns.Credential.ID, strings.Repeat("x", 30))
		if err != nil || res.Accepted || res.Status != 401 {
			t.Fatalf("%s live check with a wrong secret: %+v %v", typ, res, err)
		}
		a.DismissSecret(ns.Credential.ID)
		if _, err := a.TestCredential(ns.Credential.ID, ""); err == nil || !strings.Contains(err.Error(), "Paste the secret") {
			t.Fatalf("%s after dismiss: %v", typ, err)
		}
		res, _ = a.TestCredential(ns.Credential.ID, ns.Secret)
		if !res.Accepted {
			t.Fatalf("%s with the pasted secret: %+v", typ, res)
		}
	}
	st, _ = a.StopVerifier()
	if st.Running {
		t.Fatal("still running")
	}
	if _, err := a.TestCredential(1, "x"); err == nil || !strings.Contains(err.Error(), "Start the verification endpoint") {
		t.Fatalf("test with the endpoint stopped: %v", err)
	}
}

// putSignedAsPOST sends what the official SDKs send to cancel a message: a
// PUT with a body, signed as POST.
func putSignedAsPOST(t *testing.T, addr, key, secret string) int {
	t.Helper()
	body := []byte(`{"status":"cancelled"}`)
	date := testkit.NewClock().Now().Format(http.TimeFormat) // the clock attached() runs on
	path := "/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7"
	auth, sum := verify.SignHMAC(key, secret, date, path, body)
	req, _ := http.NewRequest("PUT", "http://"+addr+path, bytes.NewReader(body))
	req.Header.Set("date", date)
	req.Header.Set("x-Content-MD5", sum)
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// The window's endpoint takes the strict-method setting of keysmith serve:
// off, the SDKs' PUT signed as POST is accepted; on, it is refused.
func TestVerifierStrictMethod(t *testing.T) {
	t.Parallel()
	a, _, _ := attached(t)
	ns, err := a.CreateKey(desktop.CreateKeyRequest{Type: "hmac", Name: "Strict"})
	if err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		st, err := a.StartVerifier(freePort(t), strict)
		if err != nil || st.StrictMethod != strict {
			t.Fatalf("start strict=%v: %+v %v", strict, st, err)
		}
		if got, _ := a.VerifierStatus(); got.StrictMethod != strict {
			t.Fatalf("status strict=%v: %+v", strict, got)
		}
		want := 200
		if strict {
			want = 401
		}
		if code := putSignedAsPOST(t, st.Address, ns.Credential.Key, ns.Secret); code != want {
			t.Errorf("strict=%v: PUT signed as POST answered %d, want %d", strict, code, want)
		}
		a.StopVerifier()
	}
}
