package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
)

type externalJSON struct {
	Mode            string `json:"mode"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	StsToken        string `json:"sts_token"`
	Expiration      string `json:"expiration"`
}

func parseExternal(t *testing.T, out string) externalJSON {
	t.Helper()
	var e externalJSON
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("external output is not JSON: %v\n%q", err, out)
	}
	return e
}

func counts(emu *stsemu.Server) [3]int {
	return [3]int{emu.Count("AssumeRole", adminArn), emu.Count("AssumeRole", prodArn), emu.Count("AssumeRole", auditArn)}
}

func TestChainResolvesAndCaches(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()

	first := parseExternal(t, s.ok("export", "--format", "external", "audit").stdout)
	if first.Mode != "StsToken" || !strings.HasPrefix(first.AccessKeyID, "STS.") || first.StsToken == "" {
		t.Fatalf("unexpected credentials: %+v", first.Mode)
	}
	if got := counts(emu); got != [3]int{1, 1, 1} {
		t.Fatalf("cold 3-hop resolution: AssumeRole calls per hop = %v, want [1 1 1]", got)
	}
	// The emulator knows the session is audit's.
	calls := emu.Calls()
	last := calls[len(calls)-1]
	if last.RoleArn != auditArn || !strings.Contains(last.CallerARN, "assumed-role/prod/e2e-prod") {
		t.Fatalf("last call = %+v", last)
	}

	second := parseExternal(t, s.ok("export", "--format", "external", "audit").stdout)
	if got := counts(emu); got != [3]int{1, 1, 1} {
		t.Fatalf("warm run made STS calls: %v", got)
	}
	if second != first {
		t.Fatal("warm run returned other credentials than the cached ones")
	}

	// admin lasts 2 h, prod and audit 1 h: with a 90 min window only the
	// two 1 h hops are stale, so exactly two calls are needed.
	s.ok("--expiry-window", "90m", "export", "--format", "external", "audit")
	if got := counts(emu); got != [3]int{1, 2, 2} {
		t.Fatalf("after the window: calls = %v, want [1 2 2]", got)
	}
	// --refresh renews every hop; --no-cache bypasses the cache entirely.
	s.ok("export", "--refresh", "--format", "external", "audit")
	if got := counts(emu); got != [3]int{2, 3, 3} {
		t.Fatalf("--refresh: calls = %v, want [2 3 3]", got)
	}
	s.ok("export", "--no-cache", "--format", "external", "prod")
	if got := counts(emu); got != [3]int{3, 4, 3} {
		t.Fatalf("--no-cache: calls = %v, want [3 4 3]", got)
	}
}

func TestParallelColdCacheMakesOneCallPerHop(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()

	const n = 32
	outs := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = s.run(nil, "export", "--format", "external", "audit")
		}()
	}
	wg.Wait()
	for i, r := range outs {
		if r.code != 0 {
			t.Fatalf("process %d failed: %s", i, r)
		}
		if r.stdout != outs[0].stdout {
			t.Fatalf("process %d got other credentials", i)
		}
	}
	if got := counts(emu); got != [3]int{1, 1, 1} {
		t.Fatalf("%d parallel cold runs: AssumeRole calls per hop = %v, want [1 1 1]", n, got)
	}
}

func TestRealExpiryIsCached(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	// STS may issue a shorter session than asked; the cache must use the
	// Expiration STS returned, not the requested duration.
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: prodArn, Times: 1, TokenLifetime: 10 * time.Minute})
	e := parseExternal(t, s.ok("export", "--format", "external", "prod").stdout)
	exp, err := time.Parse("2006-01-02T15:04:05Z", e.Expiration)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(exp); left > 11*time.Minute || left < 8*time.Minute {
		t.Fatalf("expiration %s is %s away, want about 10m", e.Expiration, left)
	}
	s.ok("export", "--format", "external", "prod") // 10 m left > 5 m window: reused
	if got := emu.Count("AssumeRole", prodArn); got != 1 {
		t.Fatalf("prod calls = %d, want 1", got)
	}
	s.ok("--expiry-window", "15m", "export", "--format", "external", "prod")
	if got := emu.Count("AssumeRole", prodArn); got != 2 {
		t.Fatalf("prod calls after window = %d, want 2", got)
	}
}

func TestCorruptCacheEntryIsReplaced(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	s.ok("export", "--format", "external", "prod")
	entries, _ := filepath.Glob(s.path("keys/session*"))
	if len(entries) != 2 {
		t.Fatalf("want 2 cached session files, got %v", entries)
	}
	for _, f := range entries {
		if err := os.WriteFile(f, []byte("garbage{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.ok("export", "--format", "external", "prod")
	if got := counts(emu); got != [3]int{2, 2, 0} {
		t.Fatalf("corrupt entries should be refreshed once each: %v", got)
	}
	s.ok("export", "--format", "external", "prod")
	if got := counts(emu); got != [3]int{2, 2, 0} {
		t.Fatalf("refreshed entries should be cached again: %v", got)
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name      string
		fault     stsemu.Fault
		setup     func(*stsemu.Server)
		wantOK    bool
		wantProd  int  // successful prod AssumeRole calls afterwards
		firstHop  bool // resolve admin from a cold cache instead of prod
		wantInErr []string
	}{
		{name: "two 500s then success", fault: stsemu.Fault{Status: 500, Times: 2}, wantOK: true, wantProd: 1},
		{name: "503 once", fault: stsemu.Fault{Status: 503, Times: 1}, wantOK: true, wantProd: 1},
		{name: "throttling once", fault: stsemu.Fault{Status: 400, Code: "Throttling", Times: 1}, wantOK: true, wantProd: 1},
		{name: "truncated json once", fault: stsemu.Fault{TruncateBody: true, Times: 1}, wantOK: true, wantProd: 1},
		{name: "html page once", fault: stsemu.Fault{MalformedBody: true, Times: 1}, wantOK: true, wantProd: 1},
		{name: "connection reset once", fault: stsemu.Fault{ResetConnection: true, Times: 1}, wantOK: true, wantProd: 1},
		{name: "500 forever", fault: stsemu.Fault{Status: 500}, wantInErr: []string{"InternalError", "4 attempts", prodArn}},
		{name: "throttled forever", fault: stsemu.Fault{Status: 400, Code: "Throttling"}, wantInErr: []string{"Throttling", "wait a moment"}},
		{name: "missing expiration", fault: stsemu.Fault{OmitExpiration: true}, wantInErr: []string{"Expiration"}},
		{name: "trust removed", setup: func(e *stsemu.Server) {
			if err := e.RemoveTrust(prodArn, adminArn); err != nil {
				panic(err)
			}
		}, wantInErr: []string{"NoPermission", "trust policy of role " + prodArn, `profile "admin"`}},
		// A disabled key cannot start a chain; sessions it already made
		// stay valid (as on real STS), so the first hop is resolved cold.
		{name: "key disabled", firstHop: true, setup: func(e *stsemu.Server) {
			if err := e.SetAccessKeyStatus(aliceKeyID, false); err != nil {
				panic(err)
			}
		}, wantInErr: []string{"InvalidAccessKeyId.Inactive", "alirole add alice"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, ca := newEmulator(t)
			s := newSandbox(t, emu, ca)
			s.writeConfig(chainConfig)
			s.addAlice()
			target := "prod"
			if tc.firstHop {
				target = "admin"
			} else {
				s.ok("export", "--format", "external", "admin") // admin cached; faults hit prod
			}
			f := tc.fault
			f.Action, f.RoleArn = "AssumeRole", prodArn
			if tc.setup != nil {
				tc.setup(emu)
			} else {
				emu.Inject(f)
			}
			r := s.run(nil, "export", "--format", "external", target)
			if tc.wantOK != (r.code == 0) {
				t.Fatalf("want ok=%v: %s", tc.wantOK, r)
			}
			if got := emu.Count("AssumeRole", prodArn); got != tc.wantProd {
				t.Fatalf("successful prod calls = %d, want %d", got, tc.wantProd)
			}
			for _, w := range tc.wantInErr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if r.code != 0 && r.stdout != "" {
				t.Errorf("a failed external export must print nothing on stdout: %q", r.stdout)
			}
			if strings.Contains(r.stderr, aliceSecret) || strings.Contains(r.stderr, "panic") {
				t.Errorf("stderr leaks a secret or a panic:\n%s", r.stderr)
			}
		})
	}
}

func TestWrongSecretSaysAddAgain(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong-secret-value"}, "add", "--env", "alice")
	if r.code != 0 {
		t.Fatal(r)
	}
	r = s.run(nil, "export", "admin")
	if r.code == 0 || !strings.Contains(r.stderr, "SignatureDoesNotMatch") || !strings.Contains(r.stderr, "alirole add alice") {
		t.Fatalf("want SignatureDoesNotMatch with advice: %s", r)
	}
	if strings.Contains(r.stderr, "wrong-secret-value") || strings.Contains(strings.ToLower(r.stderr), "string to sign") {
		t.Fatalf("error leaks signing material:\n%s", r.stderr)
	}
}

func TestSTSTimeoutFlag(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	emu.Inject(stsemu.Fault{Action: "AssumeRole", Latency: 5 * time.Second})
	start := time.Now()
	r := s.run(nil, "export", "--sts-timeout", "300ms", "admin")
	if took := time.Since(start); r.code == 0 || took > 4*time.Second {
		t.Fatalf("want a failure within the timeout budget, got %s after %s", r, took)
	}
	if !strings.Contains(r.stderr, "4 attempts") || !strings.Contains(r.stderr, adminArn) {
		t.Fatalf("stderr: %s", r.stderr)
	}
}
