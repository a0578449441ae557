package credserver

import (
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

// TestIdleConnectionsCannotExhaustServer: a local process opens many
// connections and sends nothing (no token, not even a request line). The
// server holds at most MaxConns of them (closing the oldest silent ones),
// answers a legitimate client at once, and closes the rest after
// ReadHeaderTimeout.
func TestIdleConnectionsCannotExhaustServer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors through /proc")
	}
	const (
		idle     = 120
		maxConns = 8
		header   = 2 * time.Second
	)
	clk := &clock{t: t0}
	src := &fakeSource{clock: clk, life: time.Hour}
	s, err := New(src.Source, Options{Now: clk.Now, ReadHeaderTimeout: header, MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := openFDs(t)
	conns := make([]net.Conn, 0, idle)
	for i := 0; i < idle; i++ {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	// The client side holds idle descriptors; the server side at most the cap.
	extra := openFDs(t) - base - idle
	t.Logf("server-side descriptors for %d idle connections: %d (cap %d)", idle, extra, maxConns)
	if extra > maxConns+2 {
		t.Errorf("server holds %d descriptors for %d idle connections (cap %d)", extra, idle, maxConns)
	}

	start := time.Now()
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get(s.URL())
	if err != nil {
		t.Fatalf("legitimate client during the flood: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("legitimate client: status %d: %s", res.StatusCode, body)
	}
	took := time.Since(start)
	t.Logf("legitimate client answered after %s behind %d idle connections", took.Round(time.Millisecond), idle)
	if took > header {
		t.Errorf("the legitimate client waited %s, longer than one ReadHeaderTimeout (%s)", took, header)
	}

	// Every idle connection is closed by the server (EOF), none left open.
	var wg sync.WaitGroup
	var mu sync.Mutex
	closed := 0
	for _, c := range conns {
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err == io.EOF {
				mu.Lock()
				closed++
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	t.Logf("%d of %d idle connections closed by the server", closed, idle)
	if closed != idle {
		t.Errorf("only %d of %d idle connections were closed", closed, idle)
	}
}

// TestServerTimeoutsAreSet: the defaults bound every phase of a connection.
func TestServerTimeoutsAreSet(t *testing.T) {
	s, err := New((&fakeSource{clock: &clock{t: t0}}).Source, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := s.srv
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("unbounded server: %+v", srv)
	}
}
