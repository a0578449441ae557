package sso

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

const acct = "1111222233334444"

func world() *stsemu.World {
	return &stsemu.World{
		Accounts: []stsemu.Account{{ID: acct, Roles: []stsemu.Role{{Name: "AliyunReservedSSO-Admin"}}}},
		CloudSSO: &stsemu.CloudSSO{Assignments: []stsemu.SSOAssignment{
			{AccountID: acct, AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin", RoleName: "AliyunReservedSSO-Admin"},
		}},
	}
}

// fakeTime is a clock that Sleep advances; the emulator shares it.
type fakeTime struct {
	offset atomic.Int64
	mu     sync.Mutex
	sleeps []time.Duration
}

func (f *fakeTime) Now() time.Time { return time.Now().Add(time.Duration(f.offset.Load())) }
func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	f.mu.Unlock()
	f.offset.Add(int64(d))
	return ctx.Err()
}

func emulator(t *testing.T, ft *fakeTime, o stsemu.SSOOptions) (*stsemu.Server, string) {
	t.Helper()
	srv, err := stsemu.New(world(), stsemu.Options{Clock: ft.Now, SSO: o})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, "http://" + srv.HTTPEndpoint() + "/start/login"
}

// approver plays the person: it approves the request the browser was
// asked to open, after some polls.
func approver(srv *stsemu.Server, afterPolls int, opened *[]string) func(context.Context, string) error {
	return func(_ context.Context, u string) error {
		*opened = append(*opened, u)
		pu, err := url.Parse(u)
		if err != nil {
			return err
		}
		code := pu.Query().Get("user_code")
		go func() {
			for len(srv.Calls()) < afterPolls {
				time.Sleep(time.Millisecond)
			}
			_ = srv.ApproveSSO(code)
		}()
		return nil
	}
}

func TestLoginSlowDownAndPKCE(t *testing.T) {
	ft := &fakeTime{}
	srv, u := emulator(t, ft, stsemu.SSOOptions{Interval: 2 * time.Second, EnforceInterval: true})
	var opened []string
	var out strings.Builder
	// The second poll comes without any wait (too soon) and draws a
	// SlowDown.
	calls := 0
	sleep2 := func(ctx context.Context, d time.Duration) error {
		calls++
		if calls == 2 {
			return nil
		}
		return ft.Sleep(ctx, d)
	}
	tok, err := Login(context.Background(), LoginOptions{
		Portal: &Portal{SignInURL: u, ClientID: DefaultClientID},
		UI:     UI{Out: &out, Open: approver(srv, 4, &opened)},
		Now:    ft.Now, Sleep: sleep2,
	})
	if err != nil {
		t.Fatalf("login: %v\n%s", err, out.String())
	}
	if tok.AccessToken == "" || tok.SignInURL != u || !tok.Expires.After(ft.Now().Add(7*time.Hour)) {
		t.Fatalf("token %+v", tok)
	}
	if len(opened) != 1 || !strings.Contains(opened[0], "/device?user_code=") {
		t.Fatalf("opened %v", opened)
	}
	if !strings.Contains(out.String(), "Open: http://"+srv.HTTPEndpoint()+"/device\n") || !strings.Contains(out.String(), "Code: ") ||
		!strings.Contains(out.String(), "poll more slowly; now every 7s") {
		t.Fatalf("output:\n%s", out.String())
	}
	// After the SlowDown every wait is the raised interval.
	ft.mu.Lock()
	defer ft.mu.Unlock()
	for _, d := range ft.sleeps[1:] {
		if d != 7*time.Second {
			t.Fatalf("sleeps %v: want 7s after the SlowDown", ft.sleeps)
		}
	}
	for _, c := range srv.Calls() {
		if c.Action == stsemu.ActionSSOToken && c.Code != "" && c.Code != "AuthorizationPending" && c.Code != "SlowDown" {
			t.Fatalf("unexpected token answer %s", c.Code)
		}
	}
	if strings.Contains(out.String(), tok.AccessToken) {
		t.Fatal("the access token was printed")
	}
}

func TestLoginExpiredAndTimeout(t *testing.T) {
	ft := &fakeTime{}
	_, u := emulator(t, ft, stsemu.SSOOptions{Interval: time.Second, DeviceCodeTTL: 5 * time.Second})
	_, err := Login(context.Background(), LoginOptions{Portal: &Portal{SignInURL: u, ClientID: DefaultClientID}, Now: ft.Now, Sleep: ft.Sleep})
	if !errors.Is(err, ErrExpired) || !strings.Contains(err.Error(), "approve it in the browser sooner") {
		t.Fatalf("err = %v", err)
	}
	_, err = Login(context.Background(), LoginOptions{Portal: &Portal{SignInURL: u, ClientID: DefaultClientID}, Now: ft.Now, Sleep: ft.Sleep, Timeout: 3 * time.Second})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "gave up after 3s") {
		t.Fatalf("err = %v", err)
	}
}

func TestVerifierFreshAndS256(t *testing.T) {
	v1, c1, _ := NewVerifier(nil)
	v2, _, _ := NewVerifier(nil)
	if v1 == v2 || len(v1) < 43 || len(v1) > 128 || c1 != Challenge(v1) || len(c1) != 43 {
		t.Fatalf("verifiers %q %q challenge %q", v1, v2, c1)
	}
	// Expected value computed independently (Python hashlib + base64).
	if got := Challenge("dBjftJeZ4CVP-mJ0kWuqYOmXZOlsfp3Y5AOzhNsSjWs"); got != "LfDEGURu2SESTtoGoW_xn59TnX0ceXNRanp3h8QgqSg" {
		t.Fatalf("challenge %s", got)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func TestManagerNoInteractionFailsAtOnce(t *testing.T) {
	ft := &fakeTime{}
	srv, u := emulator(t, ft, stsemu.SSOOptions{Interval: time.Second})
	m := &Manager{
		Store: keychain.New(keyring.NewArrayKeyring(nil)), LockDir: t.TempDir(),
		Portal:       func(u string) *Portal { return &Portal{SignInURL: u, ClientID: DefaultClientID} },
		OpenTerminal: func() (io.WriteCloser, error) { return nil, errors.New("no tty") },
		Now:          ft.Now, Sleep: ft.Sleep,
		LoginHint: func(string) string { return "alirole sso login prod" },
	}
	_, _, err := m.Token(context.Background(), u)
	if !errors.Is(err, ErrNoInteraction) || !strings.Contains(err.Error(), "alirole sso login prod") {
		t.Fatalf("err = %v", err)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d portal calls", n)
	}

	// With a terminal: one sign-in, then the stored token; a rejected
	// token makes the next call sign in again.
	var screen strings.Builder
	var opened []string
	m.OpenTerminal = func() (io.WriteCloser, error) { return nopCloser{&screen}, nil }
	m.Browser = approver(srv, 2, &opened)
	tok, _, err := m.Token(context.Background(), u)
	if err != nil {
		t.Fatalf("token: %v\n%s", err, screen.String())
	}
	again, _, err := m.Token(context.Background(), u)
	if err != nil || again != tok || srv.Count(stsemu.ActionSSODeviceAuthorization, "") != 1 {
		t.Fatalf("second token: %v, same %v, %d sign-ins", err, again == tok, srv.Count(stsemu.ActionSSODeviceAuthorization, ""))
	}
	m.Rejected(u, tok)
	fresh, _, err := m.Token(context.Background(), u)
	if err != nil || fresh == tok || srv.Count(stsemu.ActionSSODeviceAuthorization, "") != 2 {
		t.Fatalf("after rejection: %v, new %v", err, fresh != tok)
	}
}
