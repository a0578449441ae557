package stsemu

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Clock is the emulator's notion of now (timestamps, token expiry,
	// nonce window). Default time.Now.
	Clock func() time.Time
	// Log receives one line per request; never secrets, tokens or
	// signatures. Nil discards.
	Log io.Writer
	// Rand is the source for ids, secrets and tokens. Default crypto/rand.
	Rand io.Reader
	// CA signs the TLS certificate. Nil makes StartTLS generate one. Share a
	// CA between servers when a process can trust only one (SSL_CERT_FILE is
	// read once per process).
	CA *CA
	// TokenLifetime, when positive, replaces DurationSeconds as the lifetime
	// of every issued session (Expiration stays truthful).
	TokenLifetime time.Duration
	// SSO tunes the CloudSSO portal (cloudsso.go).
	SSO SSOOptions
	// OAuth tunes the OAuth service (oauth.go).
	OAuth OAuthOptions
}

// Server is a running (or startable) STS emulator.
type Server struct {
	clock         func() time.Time
	tokenLifetime time.Duration

	logMu sync.Mutex
	log   io.Writer

	randMu sync.Mutex
	rand   io.Reader

	mu       sync.Mutex
	world    *World
	sessions map[string]*session // by STS AccessKeyId
	tokens   map[string]*session // by SecurityToken
	nonces   map[string]time.Time
	faults   []*activeFault
	calls    []Call
	ram      ramState                // RAM AccessKey bookkeeping (ram.go)
	signin   map[string]*signinToken // console sign-in tokens (signin.go)
	sso      ssoState                // CloudSSO portal (cloudsso.go)
	oauth    oauthState              // OAuth service (oauth.go)

	lnMu    sync.Mutex
	ca      *CA
	caFile  string
	tlsSrv  *http.Server
	tlsLn   net.Listener
	httpSrv *http.Server
	httpLn  net.Listener
	closed  bool
	done    chan struct{}
}

// session is an issued STS credential set.
type session struct {
	akID, secret, token string
	accountID           string
	roleName, roleID    string
	sessionName         string
	issuerAK            string
	expires             time.Time
}

// New validates the world and returns a server that is not yet listening.
func New(world *World, opts Options) (*Server, error) {
	if err := world.Validate(); err != nil {
		return nil, fmt.Errorf("invalid world: %w", err)
	}
	s := &Server{
		clock:         opts.Clock,
		tokenLifetime: opts.TokenLifetime,
		log:           opts.Log,
		rand:          opts.Rand,
		world:         world.clone(),
		sessions:      map[string]*session{},
		tokens:        map[string]*session{},
		nonces:        map[string]time.Time{},
		ca:            opts.CA,
		done:          make(chan struct{}),
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = io.Discard
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	s.ram = newRAMState(s.clock())
	s.signin = map[string]*signinToken{}
	s.sso = newSSOState(opts.SSO)
	s.oauth = newOAuthState(opts.OAuth)
	return s, nil
}

// StartTLS serves HTTPS on addr and writes the CA certificate (PEM) to
// caPath. caPath may be empty only when Options.CA was given (the caller
// already distributes that CA).
func (s *Server) StartTLS(addr, caPath string) error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.closed {
		return errors.New("start tls: server closed")
	}
	if s.tlsSrv != nil {
		return errors.New("start tls: already started")
	}
	if caPath == "" && s.ca == nil {
		return errors.New("start tls: a ca path is required")
	}
	if s.ca == nil {
		ca, err := NewCA()
		if err != nil {
			return fmt.Errorf("start tls: %w", err)
		}
		s.ca = ca
	}
	leaf, err := s.ca.leafCertificate()
	if err != nil {
		return fmt.Errorf("start tls: %w", err)
	}
	if caPath != "" {
		if err := s.ca.WriteFile(caPath); err != nil {
			return fmt.Errorf("start tls: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("start tls: listen %s: %w", addr, err)
	}
	srv := s.newHTTPServer()
	// HTTP/1.1 only: connection-reset faults need http.Hijacker.
	tlsLn := tls.NewListener(ln, &tls.Config{
		Certificates: []tls.Certificate{leaf},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	})
	s.tlsSrv, s.tlsLn, s.caFile = srv, ln, caPath
	go s.serve(srv, tlsLn)
	return nil
}

// StartHTTP serves plain HTTP on addr (for clients that allow Scheme=http).
func (s *Server) StartHTTP(addr string) error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.closed {
		return errors.New("start http: server closed")
	}
	if s.httpSrv != nil {
		return errors.New("start http: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("start http: listen %s: %w", addr, err)
	}
	srv := s.newHTTPServer()
	s.httpSrv, s.httpLn = srv, ln
	go s.serve(srv, ln)
	return nil
}

func (s *Server) newHTTPServer() *http.Server {
	return &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		ReadHeaderTimeout: 10 * time.Second,
		// A non-nil empty map disables HTTP/2.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(&lockedWriter{s: s}, "sts-emulator: ", 0),
	}
}

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.logf("serve: %v", err)
	}
}

// Endpoint is host:port of the TLS listener, the form credentials-go's
// WithStsEndpoint takes. Empty before StartTLS.
func (s *Server) Endpoint() string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// HTTPEndpoint is host:port of the plain HTTP listener.
func (s *Server) HTTPEndpoint() string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.httpLn == nil {
		return ""
	}
	return s.httpLn.Addr().String()
}

// CAFile is the path the CA certificate was written to.
func (s *Server) CAFile() string {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	return s.caFile
}

// Close stops both listeners and aborts in-flight requests (including ones
// sleeping in injected latency).
func (s *Server) Close() error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	close(s.done)
	var errs []error
	for _, srv := range []*http.Server{s.tlsSrv, s.httpSrv} {
		if srv == nil {
			continue
		}
		if err := srv.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sts emulator: %w", err)
	}
	return nil
}

func (s *Server) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.log, format+"\n", args...)
}

// lockedWriter serialises http.Server's own error log with request logs.
type lockedWriter struct{ s *Server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.logMu.Lock()
	defer w.s.logMu.Unlock()
	return w.s.log.Write(p)
}

func (s *Server) randBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	s.randMu.Lock()
	defer s.randMu.Unlock()
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, fmt.Errorf("read random: %w", err)
	}
	return b, nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (s *Server) randString(n int) (string, error) {
	b, err := s.randBytes(n)
	if err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b), nil
}

// requestID has the upper-case UUID shape of real RequestIds.
func (s *Server) requestID() string {
	b, err := s.randBytes(16)
	if err != nil {
		return "00000000-0000-0000-0000-000000000000"
	}
	h := fmt.Sprintf("%X", b)
	return strings.Join([]string{h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-")
}

// wait sleeps for d unless the request or the server ends first.
func (s *Server) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errors.New("server closed")
	}
}
