package stsemu

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/testkit"
)

// sharedCA signs every test server's certificate. Go reads SSL_CERT_FILE
// once per process, so TestMain points it at this CA before any TLS
// handshake; credentials-go (https + http.DefaultTransport only) then
// trusts every emulator the tests start.
var sharedCA *CA

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stsemu-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	sharedCA, err = NewCA()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ca:", err)
		return 1
	}
	caPath := filepath.Join(dir, "ca.pem")
	if err := sharedCA.WriteFile(caPath); err != nil {
		fmt.Fprintln(os.Stderr, "ca:", err)
		return 1
	}
	os.Setenv("SSL_CERT_FILE", caPath)
	os.Setenv("SSL_CERT_DIR", dir)
	return m.Run()
}

// testClock is the wall clock plus an adjustable offset, so that clients
// stamping real time still pass while tests move the server's time.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// lockedBuffer is a concurrency-safe log sink.
type lockedBuffer = testkit.LockedBuffer

const (
	otherAccountID = "222222222222"
	otherUserAK    = "LTAI5tOtherUserKey0001"
	otherUserSK    = "other-user-secret"
	noSTSUserAK    = "LTAI5tNoStsUserKey0001"
	noSTSUserSK    = "no-sts-user-secret"
	longRoleARN    = "acs:ram::" + DemoAccountID + ":role/long-role"
	xacctRoleARN   = "acs:ram::" + otherAccountID + ":role/cross"
)

// testWorld is the demo world plus identities for permission edge cases.
func testWorld() *World {
	w := DemoWorld()
	a := &w.Accounts[0]
	a.Users = append(a.Users,
		User{Name: "other", AccessKeys: []AccessKey{{ID: otherUserAK, Secret: otherUserSK}}},
		User{Name: "nosts", NoSTSAccess: true, AccessKeys: []AccessKey{{ID: noSTSUserAK, Secret: noSTSUserSK}}},
	)
	a.Roles = append(a.Roles, Role{
		Name: "long-role", MaxSessionDuration: 43200,
		Trust: []Trust{{Principal: RootARN(DemoAccountID)}},
	})
	w.Accounts = append(w.Accounts, Account{
		ID:    otherAccountID,
		Roles: []Role{{Name: "cross", Trust: []Trust{{Principal: RootARN(DemoAccountID)}}}},
	})
	return w
}

type harness struct {
	srv   *Server
	clock *testClock
	log   *lockedBuffer
}

// newHarness starts TLS (shared CA) and plain HTTP listeners.
func newHarness(t *testing.T) *harness {
	t.Helper()
	return startHarness(t, testWorld(), Options{})
}

// startHarness serves w with o, on the test clock and log and the shared CA.
func startHarness(t *testing.T, w *World, o Options) *harness {
	t.Helper()
	h := &harness{clock: &testClock{}, log: &lockedBuffer{}}
	o.Clock, o.Log, o.CA = h.clock.Now, h.log, sharedCA
	srv, err := New(w, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.StartTLS("127.0.0.1:0", ""); err != nil {
		t.Fatal(err)
	}
	if err := srv.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	return h
}

type testCreds struct{ id, secret, token string }

var demoCreds = testCreds{id: DemoAccessKeyID, secret: DemoAccessKeySecret}

// testSign is the test's own implementation of the RPC signature, written
// the way the SDKs do it (url.Values + fix-ups), independent of sign.go.
func testSign(method string, params map[string]string, secret string) string {
	v := url.Values{}
	for k, val := range params {
		if k != "Signature" {
			v.Set(k, val)
		}
	}
	s := v.Encode()
	s = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(s)
	toSign := method + "&%2F&" + url.QueryEscape(s)
	return computeTestHMAC(toSign, secret+"&")
}

// rpcRequest is a hand-built STS call. Action parameters go to the form
// body for POST (as credentials-go does) and the query for GET.
type rpcRequest struct {
	method    string // default POST
	action    string
	creds     testCreds
	params    map[string]string
	timestamp time.Time // zero: server clock
	nonce     string    // "": random
	// beforeSign edits the full parameter set before signing.
	beforeSign func(map[string]string)
	// afterSign tampers with query or form after signing.
	afterSign func(query, form map[string]string)
}

type rpcResult struct {
	status int
	body   []byte
	err    errorBody
}

func randomNonce(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func (h *harness) do(t *testing.T, r rpcRequest) rpcResult {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	ts := r.timestamp
	if ts.IsZero() {
		ts = h.clock.Now()
	}
	nonce := r.nonce
	if nonce == "" {
		nonce = randomNonce(t)
	}
	query := map[string]string{
		"Action": r.action, "Version": "2015-04-01", "Format": "JSON",
		"AccessKeyId": r.creds.id, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
		"Timestamp": ts.UTC().Format("2006-01-02T15:04:05Z"), "SignatureNonce": nonce,
	}
	if r.creds.token != "" {
		query["SecurityToken"] = r.creds.token
	}
	form := map[string]string{}
	for k, v := range r.params {
		if method == http.MethodPost {
			form[k] = v
		} else {
			query[k] = v
		}
	}
	all := map[string]string{}
	for k, v := range query {
		all[k] = v
	}
	for k, v := range form {
		all[k] = v
	}
	if r.beforeSign != nil {
		r.beforeSign(all)
		// Re-split: anything not originally in the form goes to the query.
		for k := range query {
			delete(query, k)
		}
		for k, v := range all {
			if _, inForm := form[k]; inForm {
				form[k] = v
			} else {
				query[k] = v
			}
		}
		for k := range form {
			if _, ok := all[k]; !ok {
				delete(form, k)
			}
		}
	}
	sig := testSign(method, all, r.creds.secret)
	if _, present := all["Signature"]; !present {
		query["Signature"] = sig
	}
	if r.afterSign != nil {
		r.afterSign(query, form)
	}
	return h.send(t, method, query, form)
}

func encodeValues(m map[string]string) string {
	v := url.Values{}
	for k, val := range m {
		v.Set(k, val)
	}
	return v.Encode()
}

func (h *harness) send(t *testing.T, method string, query, form map[string]string) rpcResult {
	t.Helper()
	u := "http://" + h.srv.HTTPEndpoint() + "/?" + encodeValues(query)
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(encodeValues(form))
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := rpcResult{status: resp.StatusCode, body: b}
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &res.err); err != nil {
			t.Fatalf("error body is not JSON: %v: %s", err, b)
		}
	}
	return res
}

// assume performs AssumeRole and returns the issued credentials.
func (h *harness) assume(t *testing.T, c testCreds, roleArn, session string, extra map[string]string) testCreds {
	t.Helper()
	params := map[string]string{"RoleArn": roleArn, "RoleSessionName": session}
	for k, v := range extra {
		params[k] = v
	}
	res := h.do(t, rpcRequest{action: "AssumeRole", creds: c, params: params})
	if res.status != http.StatusOK {
		t.Fatalf("assume %s: %d %s", roleArn, res.status, res.body)
	}
	var out assumeRoleResponse
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	return testCreds{id: out.Credentials.AccessKeyID, secret: out.Credentials.AccessKeySecret, token: out.Credentials.SecurityToken}
}

func wantError(t *testing.T, res rpcResult, status int, code string) {
	t.Helper()
	if res.status != status || res.err.Code != code {
		t.Fatalf("got %d %q, want %d %q; body %s", res.status, res.err.Code, status, code, res.body)
	}
}

func computeTestHMAC(msg, key string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
