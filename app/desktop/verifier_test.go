package desktop_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"keysmith/app/desktop"
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
	a, _, _ := attached(t)
	port := freePort(t)
	if st, err := a.StartVerifier(80); err == nil || st.Running {
		t.Fatalf("privileged port accepted: %v", err)
	}
	st, err := a.StartVerifier(port)
	if err != nil || !st.Running || !strings.HasSuffix(st.Address, ":"+strconv.Itoa(port)) {
		t.Fatalf("start: %+v %v", st, err)
	}
	defer a.StopVerifier()
	if _, err := a.StartVerifier(port); err == nil || !strings.Contains(err.Error(), "already running") {
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
