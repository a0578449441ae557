// Package httpguard bounds what alirole reads from the network: every HTTPS
// answer through http.DefaultTransport (credentials-go) or through
// Transport (alibaba-cloud-sdk-go clients) is cut off after MaxAnswerBytes.
package httpguard

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// MaxAnswerBytes bounds what one HTTPS connection may deliver. An STS or
// RAM answer is a few KiB (an STS SecurityToken dominates); 1 MiB leaves
// room for any policy-laden token and stops a hostile or broken endpoint
// long before it costs memory.
const MaxAnswerBytes = 1 << 20

// ErrTooLarge is returned by reads past MaxAnswerBytes on a guarded
// connection.
var ErrTooLarge = fmt.Errorf("the answer is larger than %d KiB, far more than any credentials answer: the endpoint is broken or hostile (check sts_endpoint / credentials_uri, or a proxy in between)", MaxAnswerBytes>>10)

// IsTooLarge reports a size-guard error, whatever a library wrapped around
// it (credentials-go passes the read error on; others may flatten it).
func IsTooLarge(err error) bool {
	return err != nil && (errors.Is(err, ErrTooLarge) || strings.Contains(err.Error(), ErrTooLarge.Error()))
}

var installOnce sync.Once

// Install bounds every HTTPS answer read through http.DefaultTransport.
// Main calls it once, before anything resolves.
//
// Why this way: credentials-go v1.4.14 has no injectable client.
// credentials/internal/http/http.go Do() builds a new client per request
// from http.DefaultTransport.(*http.Transport).Clone(), then replaces the
// clone's DialContext whenever ConnectTimeout != 0, and reads the body with
// ioutil.ReadAll; its own hooks (hookDo there, httpDo in providers/hook.go)
// are unexported. Clone keeps DialTLSContext, which net/http uses instead of
// DialContext (and TLSClientConfig) for every https request it does not
// send through a proxy; so the https proxy from the environment is handled
// here too (CONNECT inside the dial), and a DialTLSContext that caps the
// bytes read per connection reaches every STS, OIDC and https
// credentials_uri call. Keep-alives are off so that a connection serves one
// request (the cap is then per answer) and the clones credentials-go throws
// away leave no idle connections behind.
//
// Plain-http sources (ECS metadata at 100.100.100.200, an http://
// credentials_uri) dial through the DialContext credentials-go installs
// (providers always set a connect timeout: ecs_ram_role.go applyTimeouts,
// uri.go getCredentials), which no dial of ours can replace; their
// requests go through a capping forwarder on loopback instead (plainCap).
func Install() {
	installOnce.Do(func() {
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			http.DefaultTransport = guardPlainHTTP(guard(t.Clone(), 30*time.Second), 30*time.Second)
		}
	})
}

// Transport returns a guarded transport for clients that take one
// (alibaba-cloud-sdk-go's Client.SetTransport): https answers are capped
// the same way, connections are bounded by connectTimeout. It is not an
// *http.Transport on purpose: sdk/client.go setTimeout and
// DoActionWithSigner rewrite the DialContext, TLS config and Proxy of an
// *http.Transport (a proxy set there would bypass the guarded TLS dial),
// and leave any other RoundTripper alone.
func Transport(connectTimeout time.Duration) http.RoundTripper {
	t := guard(http.DefaultTransport.(*http.Transport).Clone(), connectTimeout)
	d := &net.Dialer{Timeout: connectTimeout}
	// Here the plain-http dial is ours too, so http answers are capped as well.
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &limitedConn{Conn: c, left: MaxAnswerBytes}, nil
	}
	return roundTripper{t}
}

type roundTripper struct{ t *http.Transport }

// guardPlainHTTP sends t's plain-http requests through a plainCap that
// forwards them the way t would have (its proxy for http).
func guardPlainHTTP(t *http.Transport, dialTimeout time.Duration) *http.Transport {
	prev := t.Proxy
	capper := &plainCap{upstream: prev, dialTimeout: dialTimeout, limit: MaxAnswerBytes}
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		if r.URL.Scheme == "http" {
			return capper.proxy(r)
		}
		return prev(r)
	}
	return t
}

func (r roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return r.t.RoundTrip(req) }

func guard(t *http.Transport, dialTimeout time.Duration) *http.Transport {
	envProxy := t.Proxy
	if envProxy == nil {
		envProxy = http.ProxyFromEnvironment
	}
	// https goes through guardedDialTLS, which speaks to the proxy itself.
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		if r.URL.Scheme == "https" {
			return nil, nil
		}
		return envProxy(r)
	}
	t.DisableKeepAlives = true
	t.ForceAttemptHTTP2 = false
	t.MaxResponseHeaderBytes = 64 << 10
	t.DialTLSContext = guardedDialTLS(t.TLSClientConfig, envProxy, dialTimeout, MaxAnswerBytes)
	return t
}

// guardedDialTLS dials TLS like net/http would (system roots, SNI, the
// https proxy of the environment) and caps the bytes read. The dial is
// bounded by the request's context, which carries the client's timeout,
// and by dialTimeout.
func guardedDialTLS(base *tls.Config, proxy func(*http.Request) (*url.URL, error), dialTimeout time.Duration, limit int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
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
		d := &net.Dialer{Timeout: dialTimeout}
		via, err := proxy(&http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: addr}, Header: http.Header{}})
		if err != nil {
			return nil, fmt.Errorf("https proxy: %w", err)
		}
		var raw net.Conn
		if via == nil {
			raw, err = d.DialContext(ctx, network, addr)
		} else {
			raw, err = dialConnect(ctx, d, via, addr)
		}
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

// dialConnect opens a tunnel to addr through an http:// proxy.
func dialConnect(ctx context.Context, d *net.Dialer, proxy *url.URL, addr string) (net.Conn, error) {
	if proxy.Scheme != "http" && proxy.Scheme != "" {
		return nil, fmt.Errorf("https proxy %s: only http:// proxies are supported", proxy.Redacted())
	}
	phost := proxy.Host
	if proxy.Port() == "" {
		phost = net.JoinHostPort(proxy.Hostname(), "80")
	}
	conn, err := d.DialContext(ctx, "tcp", phost)
	if err != nil {
		return nil, fmt.Errorf("https proxy %s: %w", proxy.Redacted(), err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := "CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req += "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)) + "\r\n"
	}
	if _, err := conn.Write([]byte(req + "\r\n")); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("https proxy %s: %w", proxy.Redacted(), err)
	}
	// The proxy's answer is bounded as well; nothing follows it before the
	// TLS handshake, so the buffered reader holds no tunnel bytes.
	br := bufio.NewReaderSize(&limitedConn{Conn: conn, left: 64 << 10}, 1)
	res, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("https proxy %s: %w", proxy.Redacted(), err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_ = conn.Close()
		return nil, fmt.Errorf("https proxy %s refused the tunnel to %s: %s", proxy.Redacted(), addr, res.Status)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
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
		return 0, ErrTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}
