package stsemu

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRunStandalone(t *testing.T) {
	dir := t.TempDir()
	worldPath := filepath.Join(dir, "world.json")
	world := `{"accounts":[{"id":"123456789012","users":[{"name":"u1","accessKeys":[{"id":"LTAI5tStandalone01","secret":"s3cret"}]}],
		"roles":[{"name":"r1","trust":[{"principal":"acs:ram::123456789012:user/u1"}]}]}]}`
	if err := os.WriteFile(worldPath, []byte(world), 0o600); err != nil {
		t.Fatal(err)
	}
	caPath := filepath.Join(dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- RunStandalone(ctx, StandaloneConfig{WorldPath: worldPath, CAPath: caPath, HTTPListen: "127.0.0.1:0"}, stdout, stderr)
	}()
	waitFor(t, func() bool { return strings.HasSuffix(stdout.String(), "ready\n") })
	out := stdout.String()
	m := regexp.MustCompile(`(?m)^sts-emulator listening on https://(127\.0\.0\.1:\d+) ca=(.+)\nsts-emulator listening on http://(127\.0\.0\.1:\d+)\nready\n$`).FindStringSubmatch(out)
	if m == nil || m[2] != caPath {
		t.Fatalf("stdout %q", out)
	}

	// A signed call over TLS, trusting only the written CA.
	pemBytes, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	params := map[string]string{
		"Action": "GetCallerIdentity", "Version": "2015-04-01", "Format": "JSON", "AccessKeyId": "LTAI5tStandalone01",
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": randomNonce(t),
		"Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	params["Signature"] = testSign("GET", params, "s3cret")
	resp, err := client.Get("https://" + m[1] + "/?" + encodeValues(params))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(stderr.String(), `action="GetCallerIdentity"`) || strings.Contains(stderr.String(), "s3cret") {
		t.Fatalf("stderr log %q", stderr.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("RunStandalone did not stop")
	}
}

func TestRunStandaloneErrors(t *testing.T) {
	ctx := context.Background()
	if err := RunStandalone(ctx, StandaloneConfig{}, &lockedBuffer{}, &lockedBuffer{}); err == nil {
		t.Fatal("missing CA path accepted")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"accounts":[{"id":"12"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := RunStandalone(ctx, StandaloneConfig{WorldPath: bad, CAPath: filepath.Join(dir, "ca.pem")}, &lockedBuffer{}, &lockedBuffer{})
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "12-16 digits") {
		t.Fatalf("error %v", err)
	}
	out := &lockedBuffer{}
	err = RunStandalone(ctx, StandaloneConfig{CAPath: filepath.Join(dir, "ca.pem"), Listen: "256.0.0.1:0"}, out, &lockedBuffer{})
	if err == nil || strings.Contains(out.String(), "ready") {
		t.Fatalf("bad listen address: err %v, stdout %q", err, out.String())
	}
}
