//go:build unix

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestPlainHTTPCredentialsURI: a credentials_uri over plain http (like the
// ECS metadata service) goes through alirole's answer guard. A normal
// answer roots a role chain; an 800 MiB one is refused with a clear error
// after at most a few MiB were sent, nothing is cached, and the token in
// the URI's query appears in no output.
func TestPlainHTTPCredentialsURI(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	var admin struct {
		ID     string `json:"access_key_id"`
		Secret string `json:"access_key_secret"`
		Token  string `json:"sts_token"`
		Exp    string `json:"expiration"`
	}
	if err := json.Unmarshal([]byte(s.ok("export", "--format", "external", "admin").stdout), &admin); err != nil || admin.Token == "" {
		t.Fatalf("admin session: %v %+v", err, admin)
	}
	var huge atomic.Bool
	var sent atomic.Int64
	const uriToken = "uriTokenQ8kd73hd02"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != uriToken {
			http.Error(w, "bad token", http.StatusForbidden)
			return
		}
		if huge.Load() {
			hugeBody(w, 800<<20, &sent)
			return
		}
		fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":%q,"AccessKeySecret":%q,"SecurityToken":%q,"Expiration":%q}`, admin.ID, admin.Secret, admin.Token, admin.Exp)
	}))
	defer srv.Close()
	uri := srv.URL + "/creds?token=" + uriToken
	s.writeConfig(chainConfig + fmt.Sprintf("\n[profile uri]\ncredential_source = credentials_uri\ncredentials_uri = %s\n\n[profile viauri]\nsource_profile = uri\nram_role_arn = %s\n", uri, prodArn))

	r := s.run(nil, "whoami", "viauri")
	if r.code != 0 || !strings.Contains(r.stdout, ":assumed-role/prod/") {
		t.Fatalf("chain from a plain-http credentials_uri: %s", r)
	}
	_ = s.ok("clear")

	huge.Store(true)
	r = s.run(nil, "export", "--format", "external", "viauri")
	t.Logf("800 MiB plain-http answer: server sent %d KiB; stderr: %s", sent.Load()>>10, r.stderr)
	if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, "larger than 1024 KiB") {
		t.Errorf("huge plain-http answer: %s", r)
	}
	if n := sent.Load(); n > 64<<20 {
		t.Errorf("the server sent %d MiB before alirole stopped reading", n>>20)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, uriToken) {
			t.Errorf("the URI's token leaked: %q", out)
		}
	}
	if entries, _ := filepath.Glob(s.path("keys/session*")); len(entries) != 0 {
		t.Errorf("sessions cached after a hostile answer: %v", entries)
	}
}

// hugeBody streams size bytes to w, counting what it managed to send.
func hugeBody(w http.ResponseWriter, size int64, sent *atomic.Int64) {
	chunk := []byte(strings.Repeat("x", 32<<10))
	for left := size; left > 0; left -= int64(len(chunk)) {
		n, err := w.Write(chunk)
		sent.Add(int64(n))
		if err != nil {
			return
		}
	}
}
