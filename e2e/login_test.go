package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
)

// signinEnv points `alirole login` at the emulator's federation endpoint.
func signinEnv(emu *stsemu.Server, extra ...string) []string {
	return append([]string{"ALIROLE_SIGNIN_URL=https://" + emu.Endpoint() + "/federation"}, extra...)
}

// visit GETs a sign-in URL the way a browser's first request does,
// without following the redirect. The test process trusts the emulator's
// CA through SSL_CERT_FILE.
func visit(t *testing.T, u string) (int, string) {
	t.Helper()
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("visit sign-in url: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func signinToken(t *testing.T, u string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatalf("sign-in url does not parse: %v", err)
	}
	tok := parsed.Query().Get("SigninToken")
	if parsed.Query().Get("Action") != "Login" || tok == "" {
		t.Fatal("sign-in url lacks Action=Login or SigninToken")
	}
	return tok
}

func TestLoginPrintsSingleUseURL(t *testing.T) {
	s, emu := ready(t)
	r := s.run(signinEnv(emu, "ALIROLE_DEBUG=1"), "login", "--stdout", "prod")
	if r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	u := strings.TrimSpace(r.stdout)
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(u, "https://"+emu.Endpoint()+"/federation?") {
		t.Fatalf("stdout is not exactly the sign-in url (%d bytes)", len(r.stdout))
	}
	tok := signinToken(t, u)
	// The URL is a secret: not even --debug may show it or its token.
	for _, secret := range []string{u, tok, url.QueryEscape(tok)} {
		if strings.Contains(r.stderr, secret) {
			t.Fatalf("stderr holds the sign-in url or token:\n%s", r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "level=DEBUG") || !strings.Contains(r.stderr, "single use") {
		t.Fatalf("expected debug output and a note on stderr:\n%s", r.stderr)
	}

	status, loc := visit(t, u)
	if status != http.StatusFound || loc != "https://console.aliyun.com/" {
		t.Fatalf("first visit: %d %q", status, loc)
	}
	if status, _ := visit(t, u); status != http.StatusUnauthorized {
		t.Fatalf("second visit: %d, want 401 (single use)", status)
	}
	var got []string
	for _, c := range emu.Calls() {
		if c.Action == "GetSigninToken" || c.Action == "Login" {
			got = append(got, c.Action+" "+c.CallerARN)
		}
	}
	prodSession := "acs:ram::" + acct + ":assumed-role/prod/e2e-prod"
	if strings.Join(got, "|") != "GetSigninToken "+prodSession+"|Login "+prodSession+"|Login " {
		t.Fatalf("federation calls %q", got)
	}

	// Another console page; the role session comes from the cache.
	before := counts(emu)
	r = s.run(signinEnv(emu), "login", "--stdout", "--destination", "https://ecs.console.aliyun.com/#/server/region/cn-shanghai", "prod")
	if r.code != 0 {
		t.Fatalf("login --destination: %s", r)
	}
	if status, loc := visit(t, strings.TrimSpace(r.stdout)); status != http.StatusFound || loc != "https://ecs.console.aliyun.com/#/server/region/cn-shanghai" {
		t.Fatalf("destination visit: %d %q", status, loc)
	}
	if counts(emu) != before {
		t.Fatalf("cached session not reused: %v -> %v", before, counts(emu))
	}
}

func TestLoginRefusals(t *testing.T) {
	s, emu := ready(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no role", []string{"login", "--stdout", "alice"}, "needs a role session"},
		{"foreign destination", []string{"login", "--stdout", "--destination", "https://example.com/", "prod"}, "not an Alibaba Cloud console address"},
		{"plain http endpoint", []string{"login", "--stdout", "--signin-url", "http://" + emu.HTTPEndpoint() + "/federation", "prod"}, "must use https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.run(signinEnv(emu), tc.args...)
			if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("want failure mentioning %q: %s", tc.want, r)
			}
		})
	}
	if n := emu.Count("GetSigninToken", "") + emu.Count("AssumeRole", ""); n != 0 {
		t.Fatalf("refused logins made %d STS or sign-in calls", n)
	}
}

func TestLoginOpensBrowser(t *testing.T) {
	s, emu := ready(t)
	out := s.path("browser-args")
	browser := s.path("browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\nprintf '%s' \"$1\" > "+out+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := s.run(signinEnv(emu, "BROWSER="+browser), "login", "--destination", "https://home.console.aliyun.com/", "prod")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "Opened the Alibaba Cloud console") {
		t.Fatalf("login: %s", r)
	}
	opened, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.stderr, signinToken(t, string(opened))) {
		t.Fatal("stderr holds the sign-in token")
	}
	if status, loc := visit(t, string(opened)); status != http.StatusFound || loc != "https://home.console.aliyun.com/" {
		t.Fatalf("opened url: %d %q", status, loc)
	}

	// No browser at all: a clear error, and the URL stays out of it.
	r = s.run(signinEnv(emu, "BROWSER="+filepath.Join(s.dir, "missing"), "PATH=/nonexistent"), "login", "prod")
	if r.code == 0 || !strings.Contains(r.stderr, "--stdout") || strings.Contains(r.stderr, "SigninToken") {
		t.Fatalf("without a browser: %s", r)
	}
}
