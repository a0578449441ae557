package stsemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// adminProvider is a fresh one-hop credentials-go provider (no cache).
func adminProvider(t *testing.T, h *harness, opts *providers.HttpOptions) providers.CredentialsProvider {
	t.Helper()
	return cgoChain(t, h, "", opts, DemoAdminRoleARN)
}

func TestFaultStatusCodes(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		fault  Fault
		status string
		code   string
	}{
		{Fault{Action: "AssumeRole", Status: 500, Times: 1}, "500", "InternalError"},
		{Fault{Action: "AssumeRole", Status: 503, Times: 1}, "503", "ServiceUnavailable"},
		{Fault{RoleArn: DemoAdminRoleARN, Status: 400, Code: "Throttling.User", Times: 1}, "400", "Throttling.User"},
	} {
		h.srv.Inject(tc.fault)
		_, err := adminProvider(t, h, nil).GetCredentials()
		if err == nil || !strings.Contains(err.Error(), `"Code":"`+tc.code+`"`) {
			t.Fatalf("%+v: error %v", tc.fault, err)
		}
		last := h.srv.Calls()[len(h.srv.Calls())-1]
		if last.Code != tc.code || last.Success || !strings.Contains(last.Fault, "status") {
			t.Fatalf("call %+v", last)
		}
	}
	if got := h.srv.Count("AssumeRole", ""); got != 0 {
		t.Fatalf("Count = %d, want 0", got)
	}
	// Times exhausted: the next call succeeds.
	if _, err := adminProvider(t, h, nil).GetCredentials(); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Count("AssumeRole", DemoAdminRoleARN); got != 1 {
		t.Fatalf("Count = %d, want 1", got)
	}
}

func TestFaultMatchingAndClear(t *testing.T) {
	h := newHarness(t)
	h.srv.Inject(Fault{RoleArn: DemoProdRoleARN, Status: 500})              // all prod calls
	h.srv.Inject(Fault{Action: "GetCallerIdentity", Status: 503, Times: 2}) // two GCI calls
	if _, err := adminProvider(t, h, nil).GetCredentials(); err != nil {
		t.Fatalf("unmatched role affected: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := cgoChain(t, h, "", nil, DemoAdminRoleARN, DemoProdRoleARN).GetCredentials(); err == nil {
			t.Fatal("prod fault did not apply")
		}
	}
	gci := rpcRequest{action: "GetCallerIdentity", creds: demoCreds}
	wantError(t, h.do(t, gci), 503, "ServiceUnavailable")
	wantError(t, h.do(t, gci), 503, "ServiceUnavailable")
	if res := h.do(t, gci); res.status != 200 {
		t.Fatalf("third GetCallerIdentity: %d", res.status)
	}
	h.srv.ClearFaults()
	if _, err := cgoChain(t, h, "", nil, DemoAdminRoleARN, DemoProdRoleARN).GetCredentials(); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
	h.srv.ResetCalls()
	if len(h.srv.Calls()) != 0 || h.srv.Count("", "") != 0 {
		t.Fatal("ResetCalls left entries")
	}
}

func TestFaultBrokenBodies(t *testing.T) {
	h := newHarness(t)

	h.srv.Inject(Fault{Action: "AssumeRole", TruncateBody: true, Times: 1})
	_, err := adminProvider(t, h, nil).GetCredentials()
	if err == nil || !strings.Contains(err.Error(), "json.Unmarshal fail") {
		t.Fatalf("truncated: %v", err)
	}

	h.srv.Inject(Fault{Action: "AssumeRole", MalformedBody: true, Times: 1})
	_, err = adminProvider(t, h, nil).GetCredentials()
	if err == nil || !strings.Contains(err.Error(), "json.Unmarshal fail") {
		t.Fatalf("malformed: %v", err)
	}

	// A 200 without Expiration makes credentials-go dereference nil.
	h.srv.Inject(Fault{Action: "AssumeRole", OmitExpiration: true, Times: 1})
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		_, _ = adminProvider(t, h, nil).GetCredentials()
		return false
	}()
	if !panicked {
		t.Fatal("credentials-go did not panic on a missing Expiration")
	}
	// The raw body really lacks only Expiration.
	h.srv.Inject(Fault{Action: "AssumeRole", OmitExpiration: true, Times: 1})
	res := h.do(t, rpcRequest{action: "AssumeRole", creds: demoCreds, params: map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "raw"}})
	var body assumeRoleResponse
	if err := json.Unmarshal(res.body, &body); err != nil || res.status != 200 {
		t.Fatalf("%d %v %s", res.status, err, res.body)
	}
	if body.Credentials.Expiration != "" || body.Credentials.SecurityToken == "" || strings.Contains(string(res.body), "Expiration") {
		t.Fatalf("body %s", res.body)
	}

	if got := h.srv.Count("AssumeRole", ""); got != 0 {
		t.Fatalf("mangled responses counted as successes: %d", got)
	}
	if _, err := adminProvider(t, h, nil).GetCredentials(); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Count("AssumeRole", ""); got != 1 {
		t.Fatalf("Count = %d, want 1", got)
	}
}

func TestFaultConnectionReset(t *testing.T) {
	h := newHarness(t)
	h.srv.Inject(Fault{Action: "AssumeRole", ResetConnection: true, Times: 1})
	_, err := adminProvider(t, h, nil).GetCredentials()
	if err == nil {
		t.Fatal("no error on reset")
	}
	if msg := err.Error(); !strings.Contains(msg, "reset") && !strings.Contains(msg, "EOF") {
		t.Fatalf("error %v does not look like a reset", err)
	}
	calls := h.srv.Calls()
	if len(calls) != 1 || calls[0].Fault != "reset" || calls[0].Status != 0 {
		t.Fatalf("calls %+v", calls)
	}
	// Plain HTTP as well.
	h.srv.Inject(Fault{Action: "GetCallerIdentity", ResetConnection: true, Times: 1})
	resp, err := http.Get("http://" + h.srv.HTTPEndpoint() + "/?Action=GetCallerIdentity")
	if err == nil {
		resp.Body.Close()
		t.Fatal("plain http reset not observed")
	}
}

func TestFaultLatency(t *testing.T) {
	h := newHarness(t)
	h.srv.Inject(Fault{Action: "AssumeRole", Latency: 80 * time.Millisecond, Times: 1})
	start := time.Now()
	if _, err := adminProvider(t, h, nil).GetCredentials(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Fatalf("latency not applied: %s", d)
	}

	// A client timeout cancels the wait; the emulator records it.
	h.srv.Inject(Fault{Action: "AssumeRole", Latency: 5 * time.Second, Times: 1})
	start = time.Now()
	_, err := adminProvider(t, h, &providers.HttpOptions{ConnectTimeout: 100, ReadTimeout: 100}).GetCredentials()
	if err == nil {
		t.Fatal("no timeout")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %s", d)
	}
	waitFor(t, func() bool {
		c := h.srv.Calls()
		return len(c) == 2 && c[1].Canceled
	})
	if got := h.srv.Count("AssumeRole", ""); got != 1 {
		t.Fatalf("Count = %d, want 1", got)
	}
}

func TestCloseAbortsLatency(t *testing.T) {
	h := newHarness(t)
	h.srv.Inject(Fault{Latency: time.Minute, Times: 1})
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+h.srv.HTTPEndpoint()+"/?Action=GetCallerIdentity", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	// The fault is consumed once the request is inside the handler.
	waitFor(t, func() bool { return faultsLeft(h.srv) == 0 })
	start := time.Now()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("request still hanging after Close")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %s", d)
	}
}

func TestFaultTokenLifetime(t *testing.T) {
	h := newHarness(t)
	h.srv.Inject(Fault{Action: "AssumeRole", TokenLifetime: 5 * time.Second, Times: 1})
	before := h.clock.Now()
	res := h.do(t, rpcRequest{action: "AssumeRole", creds: demoCreds, params: map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "short"}})
	var out assumeRoleResponse
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse("2006-01-02T15:04:05Z", out.Credentials.Expiration)
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(before); d < 4*time.Second || d > 6*time.Second {
		t.Fatalf("Expiration %s is %s away, want about 5s", exp, d)
	}
	c := testCreds{out.Credentials.AccessKeyID, out.Credentials.AccessKeySecret, out.Credentials.SecurityToken}
	if res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: c}); res.status != 200 {
		t.Fatalf("fresh short token: %d %s", res.status, res.body)
	}
	h.clock.Advance(6 * time.Second)
	wantError(t, h.do(t, rpcRequest{action: "GetCallerIdentity", creds: c}), 400, "InvalidSecurityToken.Expired")
	// Only the next call was affected.
	long := h.assume(t, demoCreds, DemoAdminRoleARN, "normal", nil)
	h.clock.Advance(10 * time.Minute)
	if res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: long}); res.status != 200 {
		t.Fatalf("normal token: %d %s", res.status, res.body)
	}
}

func TestOptionsTokenLifetime(t *testing.T) {
	clock := &testClock{}
	srv, err := New(DemoWorld(), Options{Clock: clock.Now, TokenLifetime: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	h := &harness{srv: srv, clock: clock, log: &lockedBuffer{}}
	c := h.assume(t, demoCreds, DemoAdminRoleARN, "tiny", nil)
	clock.Advance(3 * time.Second)
	wantError(t, h.do(t, rpcRequest{action: "GetCallerIdentity", creds: c}), 400, "InvalidSecurityToken.Expired")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func faultsLeft(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}
