package resolve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MaxAnswerBytes bounds what one HTTPS connection may deliver. An STS
// answer is a few KiB (the SecurityToken dominates); 1 MiB leaves room for
// any policy-laden token and stops a hostile or broken endpoint long before
// it costs memory.
const MaxAnswerBytes = 1 << 20

// ErrAnswerTooLarge is returned by reads past MaxAnswerBytes on a guarded
// connection.
var ErrAnswerTooLarge = fmt.Errorf("the answer is larger than %d KiB, far more than any credentials answer: the endpoint is broken or hostile (check sts_endpoint / credentials_uri, or a proxy in between)", MaxAnswerBytes>>10)

var guardOnce sync.Once

// GuardHTTP bounds every HTTPS answer read through http.DefaultTransport.
// Main calls it once, before anything resolves.
//
// Why here and this way: credentials-go v1.4.14 has no injectable client.
// credentials/internal/http/http.go Do() builds a new client per request
// from http.DefaultTransport.(*http.Transport).Clone(), then replaces the
// clone's DialContext whenever ConnectTimeout != 0, and reads the body with
// ioutil.ReadAll; its own hooks (hookDo there, httpDo in providers/hook.go)
// are unexported. Clone keeps DialTLSContext, which net/http uses instead of
// DialContext for every https request, so a DialTLSContext that caps the
// bytes read per connection reaches every STS, OIDC and https
// credentials_uri call. Keep-alives are off so that a connection serves one
// request (the cap is then per answer) and the clones credentials-go
// throws away leave no idle connections behind.
//
// Plain-http sources (ECS metadata at 100.100.100.200, an http://
// credentials_uri) cannot be guarded in process: their dial goes through
// the DialContext credentials-go installs (providers always set a connect
// timeout: ecs_ram_role.go applyTimeouts, uri.go getCredentials), and no
// other Transport field sees the body. Their answers are still bounded in
// time (credentials-go's client timeout) and checked by checkAnswer before
// anything is used or cached.
func GuardHTTP() {
	guardOnce.Do(func() {
		t, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return
		}
		t = t.Clone()
		t.DisableKeepAlives = true
		t.ForceAttemptHTTP2 = false
		t.MaxResponseHeaderBytes = 64 << 10
		t.DialTLSContext = guardedDialTLS(t.TLSClientConfig, MaxAnswerBytes)
		http.DefaultTransport = t
	})
}

// guardedDialTLS dials TLS like net/http would (system roots, SNI) and caps
// the bytes read. The dial is bounded by the request's context, which
// carries credentials-go's client timeout, and by 30 s for requests
// without one.
func guardedDialTLS(base *tls.Config, limit int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{}
		if base != nil {
			cfg = base.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		d := &net.Dialer{Timeout: 30 * time.Second}
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return &limitedConn{Conn: tc, left: limit}, nil
	}
}

// limitedConn fails reads once limit bytes have been read. net/http reads
// a connection from one goroutine only.
type limitedConn struct {
	net.Conn
	left int64
}

func (c *limitedConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		_ = c.Conn.Close()
		return 0, ErrAnswerTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}

// isTooLarge reports a size-guard error, whatever a library wrapped around
// it (credentials-go passes the read error on, but may flatten it).
func isTooLarge(err error) bool {
	return err != nil && (errors.Is(err, ErrAnswerTooLarge) || strings.Contains(err.Error(), ErrAnswerTooLarge.Error()))
}
