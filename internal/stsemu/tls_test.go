package stsemu

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alirole/alirole/internal/testkit"
)

// TestStartTLSGeneratesCA checks the CA file a standalone client would use:
// the written PEM (and only it) validates the server for 127.0.0.1,
// localhost and ::1.
func TestStartTLSGeneratesCA(t *testing.T) {
	srv, err := New(DemoWorld(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.StartTLS("127.0.0.1:0", ""); err == nil {
		t.Fatal("StartTLS without a CA path or CA succeeded")
	}
	caPath := filepath.Join(t.TempDir(), "ca.pem")
	if err := srv.StartTLS("127.0.0.1:0", caPath); err != nil {
		t.Fatal(err)
	}
	if srv.CAFile() != caPath || !strings.HasPrefix(srv.Endpoint(), "127.0.0.1:") || srv.HTTPEndpoint() != "" {
		t.Fatalf("endpoint %q ca %q http %q", srv.Endpoint(), srv.CAFile(), srv.HTTPEndpoint())
	}
	if err := srv.StartTLS("127.0.0.1:0", caPath); err == nil {
		t.Fatal("second StartTLS succeeded")
	}
	info, err := os.Stat(caPath)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Fatalf("ca mode %v", info.Mode().Perm())
	}
	pemBytes, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("ca file holds no certificate")
	}
	_, port, _ := net.SplitHostPort(srv.Endpoint())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get("https://" + net.JoinHostPort(host, port) + "/?Action=GetCallerIdentity")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: status %d", host, resp.StatusCode)
		}
		if resp.ProtoMajor != 1 {
			t.Fatalf("%s: protocol %s, want HTTP/1.1", host, resp.Proto)
		}
	}
	// The shared test CA (SSL_CERT_FILE) must not validate this server.
	if _, err := http.Get("https://" + srv.Endpoint() + "/"); err == nil {
		t.Fatal("server certificate validated against an unrelated CA")
	}

	// ::1 when the host has IPv6 loopback.
	srv6, err := New(DemoWorld(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv6.Close()
	ca6 := filepath.Join(t.TempDir(), "ca6.pem")
	if err := srv6.StartTLS("[::1]:0", ca6); err != nil {
		testkit.Missing(t, "ipv6-loopback", "cannot listen on [::1]: %v", err)
	}
	testkit.Uses(t, "ipv6-loopback")
	pem6, err := os.ReadFile(ca6)
	if err != nil {
		t.Fatal(err)
	}
	pool6 := x509.NewCertPool()
	pool6.AppendCertsFromPEM(pem6)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool6}}}
	resp, err := client.Get("https://" + srv6.Endpoint() + "/")
	if err != nil {
		t.Fatalf("::1: %v", err)
	}
	resp.Body.Close()
}

func TestStartAfterClose(t *testing.T) {
	srv, err := New(DemoWorld(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.StartHTTP("127.0.0.1:0"); err == nil {
		t.Fatal("StartHTTP after Close succeeded")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
