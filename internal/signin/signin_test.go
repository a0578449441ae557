package signin

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/stsemu"
)

// emulator starts an STS emulator with TLS and returns it, an HTTP client
// trusting its CA, and STS credentials of the demo-admin role.
func emulator(t *testing.T) (*stsemu.Server, *http.Client, creds.Credentials) {
	t.Helper()
	ca, err := stsemu.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := stsemu.New(stsemu.DemoWorld(), stsemu.Options{CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.StartTLS("127.0.0.1:0", ""); err != nil {
		t.Fatal(err)
	}
	if err := srv.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	client, err := sts.NewClientWithAccessKey("cn-hangzhou", stsemu.DemoAccessKeyID, stsemu.DemoAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	req := sts.CreateAssumeRoleRequest()
	req.Domain, req.Scheme = srv.HTTPEndpoint(), "http"
	req.RoleArn, req.RoleSessionName = stsemu.DemoAdminRoleARN, "console-test"
	resp, err := client.AssumeRole(req)
	if err != nil {
		t.Fatal(err)
	}
	c := resp.Credentials
	return srv, hc, creds.Credentials{AccessKeyID: c.AccessKeyId, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken}
}

// fetch GETs u without following redirects.
func fetch(t *testing.T, hc *http.Client, u string) (int, string) {
	t.Helper()
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestSigninAgainstEmulator(t *testing.T) {
	srv, hc, cr := emulator(t)
	var logBuf bytes.Buffer
	c := &Client{
		FederationURL: "https://" + srv.Endpoint(),
		HTTP:          hc,
		Log:           slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	tok, err := c.SigninToken(context.Background(), cr)
	if err != nil {
		t.Fatal(err)
	}
	const dest = "https://ecs.console.aliyun.com/#/server/region/cn-shanghai"
	u, err := c.LoginURL(tok, dest, "")
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	q := parsed.Query()
	if parsed.Path != "/federation" || q.Get("Action") != "Login" || q.Get("SigninToken") != tok ||
		q.Get("Destination") != dest || q.Get("LoginUrl") != "https://"+srv.Endpoint()+"/" {
		t.Fatalf("login url fields %v %v", parsed.Path, q.Get("Action"))
	}
	if status, loc := fetch(t, hc, u); status != http.StatusFound || loc != dest {
		t.Fatalf("login: %d %q", status, loc)
	}
	if status, _ := fetch(t, hc, u); status != http.StatusUnauthorized {
		t.Fatalf("second use: %d", status)
	}
	calls := srv.Calls()
	var actions []string
	for _, call := range calls {
		actions = append(actions, fmt.Sprintf("%s:%d", call.Action, call.Status))
	}
	if got := strings.Join(actions, " "); got != "AssumeRole:200 GetSigninToken:200 Login:302 Login:401" {
		t.Fatalf("calls %s", got)
	}
	for _, secret := range []string{cr.AccessKeySecret, cr.SecurityToken, tok, url.QueryEscape(tok)} {
		if strings.Contains(logBuf.String(), secret) {
			t.Fatalf("debug log holds a secret:\n%s", logBuf.String())
		}
	}
	if !strings.Contains(logBuf.String(), "method=POST") || strings.Contains(logBuf.String(), "retrying") {
		t.Fatalf("the emulator takes POST; log:\n%s", logBuf.String())
	}

	// Wrong secret: the service's error, without the secret.
	bad := cr
	bad.AccessKeySecret = "wrong-secret-value"
	_, err = c.SigninToken(context.Background(), bad)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "InvalidCredential.AuthenticateFail" {
		t.Fatalf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), bad.AccessKeySecret) || strings.Contains(err.Error(), cr.SecurityToken) {
		t.Fatal("error holds a secret")
	}
	// Long-term keys never leave the machine.
	if _, err := c.SigninToken(context.Background(), creds.Credentials{AccessKeyID: "LTAI5tX", AccessKeySecret: "s"}); err == nil || !strings.Contains(err.Error(), "STS") {
		t.Fatalf("long-term key: %v", err)
	}
	if n := len(srv.Calls()); n != 5 {
		t.Fatalf("calls after the long-term key: %d", n)
	}
}

// queryOnly is a federation server that reads only the query, the way
// the documented examples use the endpoint; reject answers POSTs
// differently.
type queryOnly struct {
	mu      sync.Mutex
	methods []string
	reject  int // status for POST; 0 = process like GET (ignoring the body)
}

func (f *queryOnly) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.methods = append(f.methods, r.Method)
	f.mu.Unlock()
	if r.Method == http.MethodPost && f.reject != 0 {
		w.WriteHeader(f.reject)
		return
	}
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	for _, name := range []string{"AccessKeyId", "AccessKeySecret", "SecurityToken"} {
		if q.Get(name) == "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"RequestId":"R1","Code":"MissingParameter.%s","Message":"The parameter %s is missing."}`, name, name)
			return
		}
	}
	if q.Get("AccessKeySecret") != "sec/ret+" || q.Get("SecurityToken") != "CAIS+tok/en=" {
		w.WriteHeader(http.StatusUnauthorized)
		// A service that echoes its input must not leak it through us.
		fmt.Fprintf(w, `{"RequestId":"R2","Code":"InvalidCredential.AuthenticateFail","Message":"bad %s"}`, q.Get("SecurityToken"))
		return
	}
	fmt.Fprint(w, `{"RequestId":"R3","SigninToken":"tok=="}`)
}

func TestSigninFallsBackToQuery(t *testing.T) {
	cr := creds.Credentials{AccessKeyID: "STS.abc", AccessKeySecret: "sec/ret+", SecurityToken: "CAIS+tok/en="}
	for _, tc := range []struct {
		name    string
		reject  int
		methods string
	}{
		{"body ignored", 0, "POST GET"},
		{"method not allowed", http.StatusMethodNotAllowed, "POST GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &queryOnly{reject: tc.reject}
			ts := httptest.NewTLSServer(fake)
			defer ts.Close()
			c := &Client{FederationURL: ts.URL + "/federation", HTTP: ts.Client()}
			tok, err := c.SigninToken(context.Background(), cr)
			if err != nil || tok != "tok==" {
				t.Fatalf("token %q, %v", tok, err)
			}
			if got := strings.Join(fake.methods, " "); got != tc.methods {
				t.Fatalf("methods %s, want %s", got, tc.methods)
			}
			bad := cr
			bad.SecurityToken = "CAIS+other"
			_, err = c.SigninToken(context.Background(), bad)
			if err == nil || strings.Contains(err.Error(), "CAIS+other") || !strings.Contains(err.Error(), "<redacted>") {
				t.Fatalf("echoed token: %v", err)
			}
		})
	}
}

func TestSigninTransportErrorsHideTheURL(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusMethodNotAllowed)
	}))
	hc := ts.Client()
	// The GET retry dies in the transport: its URL carries the secret.
	hc.Transport = failGet{hc.Transport}
	c := &Client{FederationURL: ts.URL, HTTP: hc}
	cr := creds.Credentials{AccessKeyID: "STS.abc", AccessKeySecret: "very-secret", SecurityToken: "CAIStoken"}
	_, err := c.SigninToken(context.Background(), cr)
	ts.Close()
	if err == nil || !strings.Contains(err.Error(), "boom") || strings.Contains(err.Error(), "very-secret") || strings.Contains(err.Error(), "CAIStoken") {
		t.Fatalf("error %v", err)
	}
}

type failGet struct{ rt http.RoundTripper }

func (f failGet) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		return nil, errors.New("boom")
	}
	return f.rt.RoundTrip(r)
}

func TestSigninMalformedAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"html", "<html>gateway</html>", 200, "MalformedResponse"},
		{"no token", `{"RequestId":"R"}`, 200, "no SigninToken"},
		{"html error", "<html>busy</html>", 503, "HTTP 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer ts.Close()
			c := &Client{FederationURL: ts.URL, HTTP: ts.Client()}
			_, err := c.SigninToken(context.Background(), creds.Credentials{AccessKeyID: "STS.a", AccessKeySecret: "b", SecurityToken: "c"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEndpointAndLoginURLChecks(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                         DefaultFederationURL,
		"https://127.0.0.1:8443":                   "https://127.0.0.1:8443/federation",
		"https://127.0.0.1:8443/":                  "https://127.0.0.1:8443/federation",
		"https://gw.example.com/signin/fe":         "https://gw.example.com/signin/fe",
		"http://signin.aliyun.com/federation":      "error",
		"https://signin.aliyun.com/federation?x=1": "error",
		"https://u:p@signin.aliyun.com/federation": "error",
		"signin.aliyun.com":                        "error",
	} {
		u, err := (&Client{FederationURL: raw}).Endpoint()
		got := "error"
		if err == nil {
			got = u.String()
		}
		if got != want {
			t.Errorf("Endpoint(%q) = %s (%v), want %s", raw, got, err, want)
		}
	}
	c := &Client{}
	for _, dest := range []string{"https://example.com/", "http://console.aliyun.com/", "https://console.aliyun.com.evil.io/"} {
		if _, err := c.LoginURL("tok", dest, ""); err == nil {
			t.Errorf("destination %s accepted", dest)
		}
	}
	if _, err := c.LoginURL("", DefaultDestination, ""); err == nil {
		t.Error("empty token accepted")
	}
	u, err := c.LoginURL("a+b/c=", InternationalDestination, "https://idp.example.com/login")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, DefaultFederationURL+"?") || !strings.Contains(u, "SigninToken=a%2Bb%2Fc%3D") || !strings.Contains(u, "LoginUrl=https%3A%2F%2Fidp.example.com%2Flogin") {
		t.Fatalf("login url %s", u)
	}
	for fed, want := range map[string]string{
		DefaultFederationURL:       DefaultDestination,
		InternationalFederationURL: InternationalDestination,
		"https://127.0.0.1:1/":     DefaultDestination,
	} {
		if got := DefaultDestinationFor(fed); got != want {
			t.Errorf("DefaultDestinationFor(%s) = %s", fed, got)
		}
	}
}

func TestBrowserCommands(t *testing.T) {
	env := func(browser string) func(string) string {
		return func(k string) string {
			if k == "BROWSER" {
				return browser
			}
			return ""
		}
	}
	for _, tc := range []struct {
		browser, goos, want string
	}{
		{"", "linux", "[[xdg-open]]"},
		{"", "freebsd", "[[xdg-open]]"},
		{"", "darwin", "[[open]]"},
		{"", "windows", "[[rundll32 url.dll,FileProtocolHandler]]"},
		{"firefox --new-window:w3m %s", "linux", "[[firefox --new-window] [w3m %s] [xdg-open]]"},
		{"%s:: ", "linux", "[[xdg-open]]"},
	} {
		if got := fmt.Sprint(BrowserCommands(env(tc.browser), tc.goos)); got != tc.want {
			t.Errorf("BROWSER=%q %s: %s, want %s", tc.browser, tc.goos, got, tc.want)
		}
	}
	if got := fmt.Sprint(argv([]string{"w3m", "-o", "x=%s"}, "U")); got != "[w3m -o x=U]" {
		t.Errorf("argv with %%s: %s", got)
	}
	if got := fmt.Sprint(argv([]string{"open"}, "U")); got != "[open U]" {
		t.Errorf("argv: %s", got)
	}
}

func TestBrowserOpenerRunsCommands(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "opened")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+out+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	const secretURL = "https://signin.example/federation?SigninToken=s3cr3t"
	getenv := func(browser string) func(string) string {
		return func(k string) string {
			if k == "BROWSER" {
				return browser
			}
			return ""
		}
	}
	// The first entry fails, the second gets the URL in place of %s.
	cmds := BrowserCommands(getenv("false:"+script+" --flag %s"), "linux")
	open := CommandOpener(cmds[:2]) // without the machine's xdg-open
	if err := open(context.Background(), secretURL); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != "--flag\n"+secretURL+"\n" {
		t.Fatalf("browser args %q %v", got, err)
	}
	// Every opener failing: an error that names the programs, not the URL.
	open = CommandOpener([][]string{{"false"}, {"/nonexistent/browser"}})
	err = open(context.Background(), secretURL)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "/nonexistent/browser") || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("error %v", err)
	}
}

func TestBrowserOpenerStopsWithContext(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "slow")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 30\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	open := CommandOpener([][]string{{script}, {"/nonexistent/never-tried"}})
	// A cancelled context ends the wait early with its error and stops
	// trying further commands.
	started := time.Now()
	if err := open(ctx, "https://x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(started); d > 3*time.Second {
		t.Fatalf("took %s", d)
	}
}
