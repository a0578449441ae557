package httpguard

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
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
