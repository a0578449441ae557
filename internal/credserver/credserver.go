// Package credserver serves temporary credentials to a child process over
// loopback HTTP in the "credentials URI" format that the aliyun CLI and
// credentials-go understand (ALIBABA_CLOUD_CREDENTIALS_URI). Unlike static
// environment variables, the child asks again when its session runs low, so
// long runs outlive a single STS session.
//
// Only STS credentials (with SecurityToken and Expiration) can be served:
// both clients reject a response that lacks either field, so a profile that
// resolves to a long-term AccessKey is answered with 500 and a message that
// the server mode needs a role.
package credserver

import (
	"container/list"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/alirole/alirole/internal/creds"
)

// Source returns current credentials. It is called with a context that is
// cancelled when the server closes. Its error text is sent to clients and
// logged, so it must not contain secrets.
type Source func(ctx context.Context) (creds.Credentials, error)

// Options tunes a Server; the zero value is usable.
type Options struct {
	Now           func() time.Time // default time.Now
	RefreshWindow time.Duration    // refresh when less than this is left (default 5m)
	Log           *slog.Logger     // default discards; never given secrets or the token
	Rand          io.Reader        // default crypto/rand; source of the URL token
	// Limits against local clients that connect and say nothing (or
	// trickle): zero picks the defaults below. Tests shorten them.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	MaxConns          int
}

const (
	// DefaultRefreshWindow is above credentials-go's own 3-minute refresh
	// margin, so a client that comes back for new credentials gets a session
	// it will not immediately consider stale.
	DefaultRefreshWindow = 5 * time.Minute

	tokenBytes = 32

	// retryInterval limits how often Source is called while the cached
	// credentials still work: after a failed refresh (no hammering of STS or
	// the keychain on every request) and when Source hands back a session
	// that is already inside the refresh window.
	retryInterval = 15 * time.Second

	shutdownTimeout = 2 * time.Second

	// Any local process can connect to the port. Without these, a client
	// that opens connections and sends nothing holds a file descriptor
	// each, forever. A request has a few hundred bytes of headers and no
	// body, so 5 s to send it and a 10 s read deadline are plenty.
	// WriteTimeout runs from the end of the headers to the end of the
	// answer, so it must cover a full resolution (resolve's default total
	// bound is 60 s; a client gives up sooner anyway). Past MaxConns open
	// connections the oldest one that has not started a request (new or
	// keep-alive idle) is closed, so a flood of silent connections cannot
	// keep a real client out; 2*MaxConns is a hard ceiling on descriptors
	// (further connections wait in the kernel backlog, at most
	// ReadHeaderTimeout per slot, when that many are mid-request).
	defaultReadHeaderTimeout = 5 * time.Second
	readTimeout              = 10 * time.Second
	writeTimeout             = 90 * time.Second
	defaultIdleTimeout       = 30 * time.Second
	defaultMaxConns          = 32
	maxHeaderBytes           = 16 << 10
)

// Sentinel errors for credentials that cannot be expressed in the
// credentials URI format.
var (
	ErrNotSTS       = errors.New("credentials server needs temporary credentials: the profile yields a long-term access key, configure a role to assume")
	ErrNoExpiration = errors.New("credentials server needs credentials with an expiration")
	ErrExpired      = errors.New("credentials source returned expired credentials")
)

// Server is a loopback HTTP credentials endpoint protected by a random token
// in the URL path.
type Server struct {
	src    Source
	now    func() time.Time
	window time.Duration
	log    *slog.Logger
	path   string // "/" + token; never logged

	ctx    context.Context // cancelled by Close; parent of Source calls and requests
	cancel context.CancelFunc

	mu          sync.Mutex
	cur         creds.Credentials
	have        bool
	lastAttempt time.Time
	inflight    *refreshCall
	refreshes   sync.WaitGroup

	limits Options // ReadHeaderTimeout, IdleTimeout, MaxConns

	ln   net.Listener
	srv  *http.Server
	url  string
	host []string // accepted Host header values
}

// refreshCall is one Source invocation that every concurrent request waits on.
type refreshCall struct {
	done chan struct{}
	c    creds.Credentials
	err  error
}

// New prepares a server with a fresh 32-byte token; it does not listen yet.
func New(src Source, o Options) (*Server, error) {
	if src == nil {
		return nil, errors.New("new credentials server: nil source")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RefreshWindow <= 0 {
		o.RefreshWindow = DefaultRefreshWindow
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	raw := make([]byte, tokenBytes)
	if _, err := io.ReadFull(o.Rand, raw); err != nil {
		return nil, fmt.Errorf("new credentials server: read random token: %w", err)
	}
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = defaultMaxConns
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		limits: Options{ReadHeaderTimeout: o.ReadHeaderTimeout, IdleTimeout: o.IdleTimeout, MaxConns: o.MaxConns},
		src:    src,
		now:    o.Now,
		window: o.RefreshWindow,
		log:    o.Log,
		path:   "/" + base64.RawURLEncoding.EncodeToString(raw),
		ctx:    ctx,
		cancel: cancel,
	}, nil
}

// Start listens on an ephemeral loopback port and serves in the background.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("start credentials server: already started")
	}
	if s.ctx.Err() != nil {
		return errors.New("start credentials server: already closed")
	}
	// IPv4 loopback literal rather than "localhost": the name could resolve
	// elsewhere, and an unspecified address would expose the credentials to
	// the network.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start credentials server: listen: %w", err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln = netutil.LimitListener(ln, 2*s.limits.MaxConns)
	conns := &connTracker{max: s.limits.MaxConns, waiting: map[net.Conn]*list.Element{}, open: map[net.Conn]bool{}}
	s.ln = ln
	s.url = "http://127.0.0.1:" + port + s.path
	s.host = []string{"127.0.0.1:" + port, "localhost:" + port}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.limits.ReadHeaderTimeout,
		ReadTimeout:       max(readTimeout, s.limits.ReadHeaderTimeout),
		WriteTimeout:      writeTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         conns.track,
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	srv := s.srv
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("credentials server stopped", "err", err)
		}
	}()
	s.log.Info("credentials server listening", "addr", ln.Addr().String())
	return nil
}

// connTracker closes the oldest connection that is not mid-request once
// more than max are open.
type connTracker struct {
	mu      sync.Mutex
	max     int
	open    map[net.Conn]bool
	order   list.List // of net.Conn: new or idle, oldest first
	waiting map[net.Conn]*list.Element
}

func (t *connTracker) track(c net.Conn, st http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.waiting[c]; ok {
		t.order.Remove(e)
		delete(t.waiting, c)
	}
	switch st {
	case http.StateNew, http.StateIdle:
		t.open[c] = true
		t.waiting[c] = t.order.PushBack(c)
	case http.StateActive:
		t.open[c] = true
	case http.StateClosed, http.StateHijacked:
		delete(t.open, c)
	}
	for len(t.open) > t.max && t.order.Len() > 0 {
		oldest := t.order.Remove(t.order.Front()).(net.Conn)
		delete(t.waiting, oldest)
		delete(t.open, oldest)
		// The serving goroutine sees the read fail and reports
		// StateClosed, which finds nothing left to remove.
		_ = oldest.Close()
	}
}

// URL is the value for ALIBABA_CLOUD_CREDENTIALS_URI; it contains the secret
// token, so it belongs only in the child's environment. Empty before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Addr is the listening address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close cancels any running Source call and stops the server, giving
// responses in progress a short grace period. Safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()

	// Close runs once the child has exited, so nobody still needs a
	// refresh: cancel Source and waiting requests first, so the graceful
	// shutdown below only waits for responses already being written.
	s.cancel()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if serr := srv.Shutdown(ctx); serr != nil {
			if cerr := srv.Close(); cerr != nil {
				serr = errors.Join(serr, cerr)
			}
			err = fmt.Errorf("close credentials server: %w", serr)
		}
	}
	s.waitRefreshes()
	return err
}

// waitRefreshes waits briefly for a cancelled Source call to return, so a
// well-behaved Source does not outlive the server; one that ignores its
// context is abandoned rather than blocking Close.
func (s *Server) waitRefreshes() {
	done := make(chan struct{})
	go func() {
		s.refreshes.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownTimeout):
		s.log.Warn("credentials source did not stop after close")
	}
}

type successBody struct {
	Code            string
	AccessKeyId     string
	AccessKeySecret string
	SecurityToken   string
	Expiration      string
}

type errorBody struct {
	Code    string
	Message string
}

// ServeHTTP checks Host, token and method, in that order, so a caller
// without the token learns nothing beyond "forbidden".
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.hostAllowed(r.Host) {
		// A browser page that rebinds its own DNS name to 127.0.0.1 still
		// sends its own name as Host; it could not know the token anyway,
		// but refusing early keeps the endpoint unreachable from the web.
		s.log.Warn("credentials request refused: unexpected host", "host", r.Host, "remote", r.RemoteAddr)
		writeJSON(w, http.StatusForbidden, errorBody{Code: "Forbidden", Message: "forbidden"})
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Path), []byte(s.path)) != 1 {
		s.log.Warn("credentials request refused: bad token", "remote", r.RemoteAddr)
		writeJSON(w, http.StatusForbidden, errorBody{Code: "Forbidden", Message: "forbidden"})
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Code: "MethodNotAllowed", Message: "only GET is supported"})
		return
	}
	c, err := s.credentials(r.Context())
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Code: "Failed", Message: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, successBody{
		Code:            "Success",
		AccessKeyId:     c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret,
		SecurityToken:   c.SecurityToken,
		Expiration:      c.ExpirationString(),
	})
}

func (s *Server) hostAllowed(h string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ok := range s.host {
		if strings.EqualFold(h, ok) {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only plain strings are marshalled; this cannot happen.
		status = http.StatusInternalServerError
		body = []byte(`{"Code":"Failed","Message":"encode response"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// credentials returns cached credentials while they have more than the
// refresh window left, otherwise joins or starts a single refresh.
func (s *Server) credentials(ctx context.Context) (creds.Credentials, error) {
	s.mu.Lock()
	now := s.now()
	if s.have && s.cur.ValidFor(now, s.window) {
		c := s.cur
		s.mu.Unlock()
		return c, nil
	}
	if s.have && s.cur.Expiration.After(now) && now.Sub(s.lastAttempt) < retryInterval {
		c := s.cur
		s.mu.Unlock()
		return c, nil
	}
	call := s.inflight
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		s.inflight = call
		s.refreshes.Add(1)
		// The refresh runs detached from this request so one client giving
		// up does not fail the others waiting on the same call.
		go s.refresh(call)
	}
	s.mu.Unlock()

	select {
	case <-call.done:
		return call.c, call.err
	case <-ctx.Done():
		return creds.Credentials{}, fmt.Errorf("wait for credentials: %w", ctx.Err())
	}
}

func (s *Server) refresh(call *refreshCall) {
	defer s.refreshes.Done()
	c, err := s.src(s.ctx)
	if err == nil {
		err = s.check(c)
	}

	s.mu.Lock()
	now := s.now()
	s.lastAttempt = now
	switch {
	case err == nil:
		s.cur, s.have = c, true
		call.c = c
		s.log.Info("credentials refreshed", "credentials", c.String())
	case s.have && s.cur.Expiration.After(now):
		call.c = s.cur
		s.log.Warn("credentials refresh failed, serving previous session", "err", err, "expires", s.cur.ExpirationString())
	default:
		call.err = fmt.Errorf("get credentials: %w", err)
		s.log.Error("credentials refresh failed", "err", err)
	}
	s.inflight = nil
	s.mu.Unlock()
	close(call.done)
}

// check rejects credentials the URI format cannot carry.
func (s *Server) check(c creds.Credentials) error {
	switch {
	case !c.IsSTS():
		return ErrNotSTS
	case !c.Expires():
		return ErrNoExpiration
	case !c.Expiration.After(s.now()):
		return ErrExpired
	}
	return nil
}
