package credserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/testkit"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeSource hands out a new numbered session per call (so tests can tell
// which call produced a response) unless err is set.
type fakeSource struct {
	clock *clock
	life  time.Duration
	calls atomic.Int32
	gate  chan struct{} // when non-nil, each call waits for it

	mu  sync.Mutex
	err error
	lt  bool // return long-term keys
}

func (f *fakeSource) setErr(err error) { f.mu.Lock(); f.err = err; f.mu.Unlock() }

func (f *fakeSource) Source(ctx context.Context) (creds.Credentials, error) {
	n := f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return creds.Credentials{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return creds.Credentials{}, f.err
	}
	suffix := string(rune('A' + n - 1))
	c := creds.Credentials{
		AccessKeyID:     "STS.id" + suffix,
		AccessKeySecret: "secret-" + suffix,
	}
	if !f.lt {
		c.SecurityToken = "token-" + suffix
		c.Expiration = f.clock.Now().Add(f.life)
	}
	return c, nil
}

// syncBuffer collects log output from server goroutines.
type syncBuffer = testkit.LockedBuffer

type harness struct {
	srv   *Server
	clock *clock
	src   *fakeSource
	logs  *syncBuffer
}

// start runs a server on a fake clock and, at cleanup, checks that the log
// never contained the token or any secret the source handed out.
func start(t *testing.T, src *fakeSource) *harness {
	t.Helper()
	clk := &clock{t: t0}
	if src == nil {
		src = &fakeSource{}
	}
	src.clock = clk
	if src.life == 0 {
		src.life = time.Hour
	}
	logs := &syncBuffer{}
	s, err := New(src.Source, Options{
		Now: clk.Now,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		out := logs.String()
		token := strings.TrimPrefix(s.path, "/")
		for _, bad := range []string{token, "secret-", "token-"} {
			if strings.Contains(out, bad) {
				t.Errorf("log contains %q:\n%s", bad, out)
			}
		}
	})
	return &harness{srv: s, clock: clk, src: src, logs: logs}
}

type reply struct {
	status int
	ctype  string
	body   string
	fields map[string]string
}

func do(t *testing.T, method, rawURL, host string) reply {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if host != "" {
		req.Host = host
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := reply{status: res.StatusCode, ctype: res.Header.Get("Content-Type"), body: string(b)}
	if err := json.Unmarshal(b, &r.fields); err != nil {
		t.Fatalf("body is not a JSON object of strings: %v: %s", err, b)
	}
	return r
}

func (h *harness) get(t *testing.T) reply {
	t.Helper()
	return do(t, http.MethodGet, h.srv.URL(), "")
}

func TestServesExactBody(t *testing.T) {
	h := start(t, nil)
	r := h.get(t)
	if r.status != http.StatusOK || r.ctype != "application/json" {
		t.Fatalf("status %d type %q body %s", r.status, r.ctype, r.body)
	}
	want := `{"Code":"Success","AccessKeyId":"STS.idA","AccessKeySecret":"secret-A","SecurityToken":"token-A","Expiration":"` +
		t0.Add(time.Hour).Format(creds.ExpirationLayout) + `"}`
	if r.body != want {
		t.Fatalf("body\n got %s\nwant %s", r.body, want)
	}
}

func TestCachingAndRefresh(t *testing.T) {
	h := start(t, &fakeSource{life: 20 * time.Minute})
	steps := []struct {
		advance   time.Duration
		wantCalls int32
		wantID    string
	}{
		{0, 1, "STS.idA"},                               // first request fetches
		{time.Minute, 1, "STS.idA"},                     // 19m left: cached
		{13*time.Minute + 59*time.Second, 1, "STS.idA"}, // 5m01s left: still cached
		{2 * time.Second, 2, "STS.idB"},                 // 4m59s left: refresh
		{time.Minute, 2, "STS.idB"},                     // new session cached
	}
	for i, st := range steps {
		h.clock.Advance(st.advance)
		r := h.get(t)
		if r.status != http.StatusOK {
			t.Fatalf("step %d: status %d %s", i, r.status, r.body)
		}
		if got := h.src.calls.Load(); got != st.wantCalls {
			t.Fatalf("step %d: source calls %d, want %d", i, got, st.wantCalls)
		}
		if r.fields["AccessKeyId"] != st.wantID {
			t.Fatalf("step %d: served %s, want %s", i, r.fields["AccessKeyId"], st.wantID)
		}
	}
}

func TestConcurrentRequestsShareOneRefresh(t *testing.T) {
	gate := make(chan struct{})
	h := start(t, &fakeSource{gate: gate})
	const n = 20
	var wg sync.WaitGroup
	ids := make([]string, n)
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Get(h.srv.URL())
			if err != nil {
				t.Errorf("get: %v", err)
				return
			}
			defer res.Body.Close()
			var body map[string]string
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Errorf("decode: %v", err)
			}
			statuses[i], ids[i] = res.StatusCode, body["AccessKeyId"]
		}()
	}
	// Let the requests pile up behind the blocked source before releasing it;
	// the assertion holds either way, the wait only makes overlap likely.
	deadline := time.Now().Add(2 * time.Second)
	for h.src.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	if got := h.src.calls.Load(); got != 1 {
		t.Fatalf("source calls %d, want 1", got)
	}
	for i := range n {
		if statuses[i] != http.StatusOK || ids[i] != "STS.idA" {
			t.Fatalf("request %d: status %d id %q", i, statuses[i], ids[i])
		}
	}
}

func TestRejectsBadTokenMethodAndHost(t *testing.T) {
	h := start(t, nil)
	u, err := url.Parse(h.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + u.Host
	token := strings.TrimPrefix(u.Path, "/")
	_, port, _ := net.SplitHostPort(u.Host)
	cases := []struct {
		name   string
		method string
		url    string
		host   string
		status int
		code   string
	}{
		{"no token", "GET", base + "/", "", 403, "Forbidden"},
		{"wrong token", "GET", base + "/" + strings.Repeat("A", len(token)), "", 403, "Forbidden"},
		{"token prefix", "GET", base + "/" + token[:len(token)-1], "", 403, "Forbidden"},
		{"token plus suffix", "GET", base + "/" + token + "x", "", 403, "Forbidden"},
		{"token in subpath", "GET", base + "/x/" + token, "", 403, "Forbidden"},
		{"wrong token POST", "POST", base + "/nope", "", 403, "Forbidden"},
		{"POST", "POST", h.srv.URL(), "", 405, "MethodNotAllowed"},
		{"PUT", "PUT", h.srv.URL(), "", 405, "MethodNotAllowed"},
		{"DELETE", "DELETE", h.srv.URL(), "", 405, "MethodNotAllowed"},
		{"rebinding host", "GET", h.srv.URL(), "attacker.example:" + port, 403, "Forbidden"},
		{"host without port", "GET", h.srv.URL(), "127.0.0.1", 403, "Forbidden"},
		{"other port", "GET", h.srv.URL(), "127.0.0.1:1", 403, "Forbidden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, c.method, c.url, c.host)
			if r.status != c.status || r.fields["Code"] != c.code || r.fields["Message"] == "" {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if r.ctype != "application/json" {
				t.Fatalf("content type %q", r.ctype)
			}
		})
	}
	if got := h.src.calls.Load(); got != 0 {
		t.Fatalf("rejected requests called the source %d times", got)
	}
	// The allowed Host spellings do reach the source.
	for _, host := range []string{"localhost:" + port, "LOCALHOST:" + port, "127.0.0.1:" + port} {
		if r := do(t, "GET", h.srv.URL(), host); r.status != http.StatusOK {
			t.Fatalf("host %s: %d %s", host, r.status, r.body)
		}
	}
}

func TestRefreshFailureServesStillValidSession(t *testing.T) {
	h := start(t, &fakeSource{life: 20 * time.Minute})
	if r := h.get(t); r.fields["AccessKeyId"] != "STS.idA" {
		t.Fatalf("first: %s", r.body)
	}
	h.src.setErr(errors.New("assume role: throttled"))
	h.clock.Advance(17 * time.Minute) // 3m left: inside window, not expired
	r := h.get(t)
	if r.status != http.StatusOK || r.fields["AccessKeyId"] != "STS.idA" || r.fields["SecurityToken"] != "token-A" {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	if h.src.calls.Load() != 2 {
		t.Fatalf("source calls %d, want 2", h.src.calls.Load())
	}
	if !strings.Contains(h.logs.String(), "assume role: throttled") {
		t.Fatalf("refresh error not logged:\n%s", h.logs.String())
	}
	// Right after a failure the source is not retried on every request...
	h.clock.Advance(time.Second)
	h.get(t)
	if h.src.calls.Load() != 2 {
		t.Fatalf("retried too soon: %d calls", h.src.calls.Load())
	}
	// ...but is after the retry interval, and recovers.
	h.src.setErr(nil)
	h.clock.Advance(retryInterval)
	if r := h.get(t); r.fields["AccessKeyId"] != "STS.idC" {
		t.Fatalf("after recovery: %s", r.body)
	}
}

func TestRefreshFailureWithoutValidSession(t *testing.T) {
	t.Run("never fetched", func(t *testing.T) {
		h := start(t, &fakeSource{err: errors.New("no mfa device")})
		r := h.get(t)
		if r.status != 500 || r.fields["Code"] != "Failed" || !strings.Contains(r.fields["Message"], "no mfa device") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("old session expired", func(t *testing.T) {
		h := start(t, &fakeSource{life: 20 * time.Minute})
		h.get(t)
		h.src.setErr(errors.New("sts unreachable"))
		h.clock.Advance(20 * time.Minute) // exactly expired
		r := h.get(t)
		if r.status != 500 || r.fields["Code"] != "Failed" || !strings.Contains(r.fields["Message"], "sts unreachable") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		for _, bad := range []string{"secret-A", "token-A", "STS.idA"} {
			if strings.Contains(r.body, bad) {
				t.Fatalf("error body leaks %q: %s", bad, r.body)
			}
		}
		if h.src.calls.Load() != 2 {
			t.Fatalf("source calls %d, want 2", h.src.calls.Load())
		}
	})
}

func TestRefusesCredentialsTheFormatCannotCarry(t *testing.T) {
	t.Run("long-term key", func(t *testing.T) {
		h := start(t, &fakeSource{lt: true})
		r := h.get(t)
		if r.status != 500 || r.fields["Code"] != "Failed" || !strings.Contains(r.fields["Message"], "role") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		if strings.Contains(r.body, "secret-A") || strings.Contains(r.body, "STS.idA") {
			t.Fatalf("body leaks key: %s", r.body)
		}
	})
	t.Run("sts without expiry", func(t *testing.T) {
		s, err := New(func(context.Context) (creds.Credentials, error) {
			return creds.Credentials{AccessKeyID: "i", AccessKeySecret: "secret-x", SecurityToken: "token-x"}, nil
		}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r := do(t, "GET", s.URL(), "")
		if r.status != 500 || strings.Contains(r.body, "secret-x") || strings.Contains(r.body, "token-x") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
}

// TestCredentialsGoClient proves the wire format against the real SDK
// provider that programs inside `alirole exec --server` use.
func TestCredentialsGoClient(t *testing.T) {
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	s, err := New(func(context.Context) (creds.Credentials, error) {
		return creds.Credentials{AccessKeyID: "STS.real", AccessKeySecret: "sec-real", SecurityToken: "tok-real", Expiration: exp}, nil
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	p, err := providers.NewURLCredentialsProviderBuilder().WithUrl(s.URL()).Build()
	if err != nil {
		t.Fatalf("build provider: %v", err)
	}
	c, err := p.GetCredentials()
	if err != nil {
		t.Fatalf("get credentials: %v", err)
	}
	if c.AccessKeyId != "STS.real" || c.AccessKeySecret != "sec-real" || c.SecurityToken != "tok-real" {
		t.Fatalf("client got %s / %s / %s", c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)
	}

	// And the same client is turned away without the token.
	u, _ := url.Parse(s.URL())
	bad, err := providers.NewURLCredentialsProviderBuilder().WithUrl("http://" + u.Host + "/wrong").Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.GetCredentials(); err == nil || strings.Contains(err.Error(), "sec-real") {
		t.Fatalf("wrong token: err %v", err)
	}
}

func TestListensOnLoopbackOnly(t *testing.T) {
	h := start(t, nil)
	addr, ok := h.srv.Addr().(*net.TCPAddr)
	if !ok || !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port == 0 {
		t.Fatalf("listening on %v", h.srv.Addr())
	}
	u, err := url.Parse(h.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() != strconv.Itoa(addr.Port) {
		t.Fatalf("url %s does not match %v", u.Redacted(), addr)
	}
}

func TestTokenFromRandAndURLShape(t *testing.T) {
	src := func(context.Context) (creds.Credentials, error) { return creds.Credentials{}, nil }
	a, err := New(src, Options{Rand: bytes.NewReader(bytes.Repeat([]byte{0xff}, 32))})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/" + strings.Repeat("_", 42) + "8"; a.path != want {
		t.Fatalf("token path %q, want %q", a.path, want)
	}
	if a.URL() != "" {
		t.Fatalf("URL before Start: %q", a.URL())
	}
	if _, err := New(src, Options{Rand: bytes.NewReader(make([]byte, 31))}); err == nil {
		t.Fatal("short random source accepted")
	}
	b, _ := New(src, Options{})
	c, _ := New(src, Options{})
	if b.path == c.path || len(b.path) != 44 {
		t.Fatalf("tokens %q %q", b.path, c.path)
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("nil source accepted")
	}
}

func TestCloseCancelsBlockedSource(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	s, err := New(func(ctx context.Context) (creds.Credentials, error) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return creds.Credentials{}, ctx.Err()
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	go func() {
		res, err := http.Get(s.URL())
		if err == nil {
			res.Body.Close()
		}
	}()
	<-started
	begin := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(begin); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	select {
	case <-cancelled:
	default:
		t.Fatal("source context not cancelled by Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Start(); err == nil {
		t.Fatal("Start after Close succeeded")
	}
	if _, err := http.Get(s.URL()); err == nil {
		t.Fatal("server still answering after Close")
	}
}
