package httpguard

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hugeHandler streams size bytes and counts what it managed to send.
func hugeHandler(size int64, sent *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for left := size; left > 0; left -= int64(len(chunk)) {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
}

func trusting(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool}
}

// TestHTTPSAnswerCapped: an 800 MiB https answer is cut off at
// MaxAnswerBytes with ErrTooLarge, directly and through a CONNECT proxy.
func TestHTTPSAnswerCapped(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewTLSServer(hugeHandler(800<<20, &sent))
	defer srv.Close()
	proxy, tunnels := connectProxy(t)

	for _, via := range []string{"direct", "proxy"} {
		t.Run(via, func(t *testing.T) {
			base := http.DefaultTransport.(*http.Transport).Clone()
			base.TLSClientConfig = trusting(srv)
			base.Proxy = nil
			if via == "proxy" {
				base.Proxy = http.ProxyURL(proxy)
			}
			client := &http.Client{Transport: guard(base, 5*time.Second), Timeout: 30 * time.Second}
			res, err := client.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			t.Logf("read %d KiB, then: %v", n>>10, err)
			if !IsTooLarge(err) {
				t.Fatalf("want ErrTooLarge, got %v", err)
			}
			if n > MaxAnswerBytes {
				t.Fatalf("read %d bytes, cap %d", n, MaxAnswerBytes)
			}
		})
	}
	if tunnels.Load() != 1 {
		t.Fatalf("the proxy saw %d CONNECT tunnels, want 1", tunnels.Load())
	}
}

// TestSDKTransportCapsHTTP: Transport (given to alibaba-cloud-sdk-go
// clients) caps plain-http answers as well, and is no *http.Transport, so
// the SDK does not rewrite it.
func TestSDKTransportCapsHTTP(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(hugeHandler(64<<20, &sent))
	defer srv.Close()
	rt := Transport(5 * time.Second)
	if _, ok := rt.(*http.Transport); ok {
		t.Fatal("Transport returned an *http.Transport")
	}
	res, err := (&http.Client{Transport: rt}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if !IsTooLarge(err) || n > MaxAnswerBytes {
		t.Fatalf("read %d bytes, err %v", n, err)
	}
}

// connectProxy is a minimal CONNECT-only proxy.
func connectProxy(t *testing.T) (*url.URL, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var tunnels atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
					return
				}
				defer up.Close()
				tunnels.Add(1)
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go io.Copy(up, c)
				io.Copy(c, up)
			}(c)
		}
	}()
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, &tunnels
}

// TestPlainHTTPForwarder: plain-http requests through a guarded transport
// (cloned and re-dialled the way credentials-go's Do() does) reach the
// server with their method, headers and body, get its status, headers and
// body back, and a too large answer becomes a 502 naming ErrTooLarge. The
// forwarder serves only requests carrying its own credentials.
func TestPlainHTTPForwarder(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/huge" {
			hugeHandler(800<<20, &sent).ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.Header.Get("X-Aliyun-Ecs-Metadata-Token")+" "+string(body))
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short answer")
	}))
	defer srv.Close()
	base := guardPlainHTTP(guard(http.DefaultTransport.(*http.Transport).Clone(), 5*time.Second), 5*time.Second)
	clone := base.Clone()
	clone.DialContext = (&net.Dialer{Timeout: 5 * time.Second}).DialContext // as credentials-go does
	client := &http.Client{Transport: clone, Timeout: 30 * time.Second}

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/token?x=1", strings.NewReader("payload"))
	req.Header.Set("X-Aliyun-Ecs-Metadata-Token", "tok")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTeapot || string(body) != "short answer" || res.Header.Get("X-Seen") != "PUT tok payload" {
		t.Errorf("forwarded answer: %d %q %q", res.StatusCode, body, res.Header.Get("X-Seen"))
	}

	res, err = client.Get(srv.URL + "/huge")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway || !IsTooLarge(errors.New(string(body))) {
		t.Errorf("huge answer: %d %q", res.StatusCode, body)
	}
	if n := sent.Load(); n > 16<<20 {
		t.Errorf("server sent %d MiB", n>>20)
	}

	// The forwarder itself, asked without its credentials.
	proxyURL, err := base.Proxy(req)
	if err != nil || proxyURL == nil || proxyURL.User == nil {
		t.Fatalf("proxy for http: %v %v", proxyURL, err)
	}
	stranger := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxyURL.Host})}}
	res, err = stranger.Get(srv.URL + "/token")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("forwarder without credentials: %d, want 407", res.StatusCode)
	}
}
