package httpguard

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// plainCap bounds plain-http answers. credentials-go dials http:// hosts
// (ECS metadata, an http:// credentials_uri) with a DialContext of its own
// (credentials/internal/http/http.go Do()), so no dial of ours sees their
// bytes; the one Transport field its clones keep that decides where an
// http request goes is Proxy. So Proxy sends plain-http requests to this
// forwarder on 127.0.0.1, which fetches them over a capped connection and
// answers 502 with ErrTooLarge's text when an answer is too large: the
// client never holds more than MaxAnswerBytes of it.
//
// The forwarder listens only while this process runs, on loopback, and
// serves only requests that carry its random Proxy-Authorization, so no
// other local process can use it as a proxy.
type plainCap struct {
	// upstream is where the request would have gone (the environment's
	// http proxy, or nil for a direct connection).
	upstream    func(*http.Request) (*url.URL, error)
	dialTimeout time.Duration
	limit       int64

	once sync.Once
	url  *url.URL
	auth string
	next http.RoundTripper
	err  error
}

// proxy is the Transport.Proxy of guarded transports for http:// requests.
func (p *plainCap) proxy(*http.Request) (*url.URL, error) {
	p.once.Do(p.start)
	return p.url, p.err
}

func (p *plainCap) start() {
	var secret [18]byte
	if _, err := rand.Read(secret[:]); err != nil {
		p.err = fmt.Errorf("answer guard: %w", err)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.err = fmt.Errorf("answer guard for http:// sources: listen on 127.0.0.1: %w", err)
		return
	}
	pw := base64.RawURLEncoding.EncodeToString(secret[:])
	p.url = &url.URL{Scheme: "http", Host: ln.Addr().String(), User: url.UserPassword("alirole", pw)}
	// net/http sends the proxy URL's user info as Basic credentials.
	p.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte("alirole:"+pw))
	d := &net.Dialer{Timeout: p.dialTimeout}
	p.next = &http.Transport{
		Proxy: p.upstream,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &limitedConn{Conn: c, left: p.limit + 64<<10}, nil // + room for the header
		},
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() { _ = srv.Serve(ln) }()
}

// hopHeaders are the proxy's own; they are not forwarded.
var hopHeaders = []string{"Proxy-Authorization", "Proxy-Connection", "Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *plainCap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Proxy-Authorization")), []byte(p.auth)) != 1 {
		http.Error(w, "alirole's answer guard serves alirole only", http.StatusProxyAuthRequired)
		return
	}
	if r.Method == http.MethodConnect || !r.URL.IsAbs() || r.URL.Scheme != "http" {
		http.Error(w, "alirole's answer guard forwards plain http requests only", http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	res, err := p.next.RoundTrip(out)
	if err != nil {
		// The request's URL may carry a token in its query: say only what
		// failed, never where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if IsTooLarge(err) {
			http.Error(w, ErrTooLarge.Error(), http.StatusBadGateway)
			return
		}
		http.Error(w, "alirole's answer guard could not fetch the answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	// The whole answer is read (at most limit bytes) before anything is
	// passed on, so a too large one becomes a clean error, not a cut body.
	body, err := io.ReadAll(io.LimitReader(res.Body, p.limit+1))
	switch {
	case int64(len(body)) > p.limit || IsTooLarge(err):
		http.Error(w, ErrTooLarge.Error(), http.StatusBadGateway)
		return
	case err != nil:
		http.Error(w, "alirole's answer guard could not read the answer: "+err.Error(), http.StatusBadGateway)
		return
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, bytes.NewReader(body))
}
