package resolve

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/stsemu"
)

// TestProgressLines: a slow STS gets a "waiting" line once progressDelay
// has passed, and every retry a line naming the hop, the attempt and why.
func TestProgressLines(t *testing.T) {
	emu := newTestEmulator(t)
	progress := &syncBuffer{}
	ts := newTestResolver(t, emu, func(o *Options) {
		o.ConnectTimeout, o.ReadTimeout, o.Attempts = 500*time.Millisecond, 1200*time.Millisecond, 3
		o.Progress = progress
	})
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: testAdminArn, Hang: true, Times: 2})
	if _, err := ts.r.Resolve(context.Background(), "admin"); err != nil {
		t.Fatal(err)
	}
	out := progress.String()
	t.Logf("progress:\n%s", out)
	for _, want := range []string{
		"alirole: waiting for STS to answer AssumeRole for admin (role " + testAdminArn + ")…\n",
		"alirole: retrying AssumeRole for admin (2/3) after timeout…\n",
		"alirole: waiting for STS to answer AssumeRole for admin (role " + testAdminArn + ", attempt 2/3)…\n",
		"alirole: retrying AssumeRole for admin (3/3) after timeout…\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q", want)
		}
	}
	if strings.Contains(out, "attempt 3/3") {
		t.Errorf("the fast third attempt printed a waiting line")
	}
}

// TestResolveTimeoutBoundsEverything: with STS never answering, a
// resolution ends at Options.Timeout, not after Attempts full call
// timeouts, and the error names the timeout and how to change it.
func TestResolveTimeoutBoundsEverything(t *testing.T) {
	emu := newTestEmulator(t)
	const total = 1500 * time.Millisecond
	ts := newTestResolver(t, emu, func(o *Options) {
		o.ConnectTimeout, o.ReadTimeout = 5*time.Second, 10*time.Second
		o.Timeout = total
	})
	emu.Inject(stsemu.Fault{Action: "AssumeRole", Hang: true})
	start := time.Now()
	_, err := ts.r.Resolve(context.Background(), "prod")
	took := time.Since(start)
	if err == nil {
		t.Fatal("want a timeout")
	}
	t.Logf("after %s: %v", took.Round(time.Millisecond), err)
	if took > total+time.Second {
		t.Errorf("resolution took %s, resolve timeout is %s", took, total)
	}
	var te *TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a *TimeoutError, got %T", err)
	}
	for _, want := range []string{`profile "admin"`, "gave up after 1.5s (the resolve timeout) waiting for AssumeRole for admin", "--resolve-timeout", "ALIROLE_RESOLVE_TIMEOUT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q", want)
		}
	}
	if entries, _ := ts.store.Sessions("admin"); len(entries) != 0 {
		t.Errorf("a timed-out hop cached something")
	}
}

// TestNoProgressWithoutTerminal: without a Progress writer nothing is
// printed anywhere, however slow STS is (covered by the e2e non-tty run);
// here: retryReason names what the line says.
func TestRetryReason(t *testing.T) {
	cases := map[string]error{
		"timeout":              context.DeadlineExceeded,
		"ServiceUnavailable":   errors.New(refreshFailedPrefix + `{"Code":"ServiceUnavailable","Message":"x"}`),
		"an unreadable answer": errors.New("refresh RoleArn sts token err, json.Unmarshal fail: x"),
		"an error":             errors.New("something"),
	}
	for want, err := range cases {
		if got := retryReason(err); got != want {
			t.Errorf("retryReason(%v) = %q, want %q", err, got, want)
		}
	}
}

// TestResolveTimeoutBoundsSources: a credential_source that never answers
// (here a credentials_uri server that hangs) is bounded by the resolve
// timeout too, and announced on the terminal.
func TestResolveTimeoutBoundsSources(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	emu := newTestEmulator(t)
	cfg, err := config.Parse("config", []byte("[profile src]\ncredential_source = credentials_uri\ncredentials_uri = "+srv.URL+"\n\n[profile role]\nsource_profile = src\nram_role_arn = "+testAdminArn+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	progress := &syncBuffer{}
	ts := newTestResolver(t, emu, func(o *Options) {
		o.Config, o.Timeout, o.Progress = cfg, 1500*time.Millisecond, progress
		o.ConnectTimeout, o.ReadTimeout = 5*time.Second, 10*time.Second
	})
	start := time.Now()
	_, err = ts.r.Resolve(context.Background(), "role")
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("took %s, resolve timeout 1.5s", took)
	}
	if err == nil || !strings.Contains(err.Error(), `profile "src": gave up after 1.5s (the resolve timeout) waiting for the credentials_uri source of profile src`) {
		t.Fatalf("error %v", err)
	}
	if !strings.Contains(progress.String(), "alirole: waiting for the credentials_uri source of profile src…") {
		t.Errorf("progress: %q", progress.String())
	}
}
