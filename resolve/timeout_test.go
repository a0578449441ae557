package resolve

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/internal/testkit"
	"github.com/alirole/alirole/keychain"
)

// A two-hop world: user base -> admin -> prod.
const (
	testAcct   = "1111222233334444"
	testKeyID  = "LTAI5tResolveTestKey0001"
	testSecret = "ResolveTestSecret/with+odd=chars"
)

var (
	testAdminArn = stsemu.RoleARN(testAcct, "admin")
	testProdArn  = stsemu.RoleARN(testAcct, "prod")
)

const testConfig = `
[profile base]

[profile admin]
source_profile = base
ram_role_arn = acs:ram::1111222233334444:role/admin

[profile prod]
source_profile = admin
ram_role_arn = acs:ram::1111222233334444:role/prod
`

func newTestEmulator(t *testing.T) *stsemu.Server {
	t.Helper()
	world := &stsemu.World{Accounts: []stsemu.Account{{
		ID:    testAcct,
		Users: []stsemu.User{{Name: "base", AccessKeys: []stsemu.AccessKey{{ID: testKeyID, Secret: testSecret}}}},
		Roles: []stsemu.Role{
			{Name: "admin", Trust: []stsemu.Trust{{Principal: stsemu.UserARN(testAcct, "base")}}},
			{Name: "prod", Trust: []stsemu.Trust{{Principal: testAdminArn}}},
		},
	}}}
	return startTestEmulator(t, world)
}

// startTestEmulator serves world over TLS (testCA) until the test ends.
func startTestEmulator(t *testing.T, world *stsemu.World) *stsemu.Server {
	t.Helper()
	emu, err := stsemu.New(world, stsemu.Options{CA: testCA})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.StartTLS("127.0.0.1:0", ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	return emu
}

// syncBuffer collects debug logs written from the resolver.
type syncBuffer = testkit.LockedBuffer

type testSetup struct {
	r      *Resolver
	store  *keychain.Store
	log    *syncBuffer
	sleeps *[]time.Duration
}

// newTestResolver builds a Resolver over an in-memory keychain holding
// base's key, talking to emu; opts may adjust the options.
func newTestResolver(t *testing.T, emu *stsemu.Server, opts func(*Options)) testSetup {
	t.Helper()
	cfg, err := config.Parse("config", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	store := keychain.New(keyring.NewArrayKeyring(nil))
	if err := store.SetAccessKey("base", keychain.AccessKey{ID: testKeyID, Secret: testSecret}); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	var (
		mu     sync.Mutex
		sleeps []time.Duration
	)
	o := Options{
		Config:      cfg,
		Store:       store,
		LockDir:     t.TempDir(),
		STSEndpoint: emu.Endpoint(),
		SessionUser: "resolve-test",
		Log:         slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// Retries happen at once: the tests time STS calls, not back-off.
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			sleeps = append(sleeps, d)
			return ctx.Err()
		},
	}
	if opts != nil {
		opts(&o)
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return testSetup{r: r, store: store, log: logs, sleeps: &sleeps}
}

// TestSTSTimeouts: an STS that stops answering costs at most Attempts
// timed-out calls, then a message that names the hop and says it timed
// out; one slow answer is retried and succeeds.
func TestSTSTimeouts(t *testing.T) {
	const (
		connectTimeout = 500 * time.Millisecond
		readTimeout    = 700 * time.Millisecond
		attempts       = 2
	)
	cases := []struct {
		name    string
		times   int // how many prod calls hang; 0 = all
		wantErr bool
	}{
		{name: "sts hangs on every call", times: 0, wantErr: true},
		{name: "sts hangs once", times: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := newTestEmulator(t)
			ts := newTestResolver(t, emu, func(o *Options) {
				o.ConnectTimeout, o.ReadTimeout, o.Attempts = connectTimeout, readTimeout, attempts
			})
			// admin is resolved (and cached) first, so prod's calls are
			// signed with a session token that must not leak.
			admin, err := ts.r.Resolve(context.Background(), "admin")
			if err != nil {
				t.Fatal(err)
			}
			emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: testProdArn, Latency: time.Minute, Times: tc.times})

			start := time.Now()
			res, err := ts.r.Resolve(context.Background(), "prod")
			elapsed := time.Since(start)

			// credentials-go bounds a call by connect + read timeout.
			if limit := attempts*(connectTimeout+readTimeout) + 3*time.Second; elapsed > limit {
				t.Errorf("resolution took %s, want at most %s", elapsed, limit)
			}
			if got := len(*ts.sleeps); got != 1 {
				t.Errorf("retries = %d, want 1", got)
			}
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				msg := err.Error()
				t.Log(msg)
				for _, want := range []string{`profile "prod"`, testProdArn, "2 attempts"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q: %s", want, msg)
					}
				}
				if !strings.Contains(strings.ToLower(msg), "timeout") {
					t.Errorf("error does not say it timed out: %s", msg)
				}
				for _, bad := range []string{testSecret, admin.Credentials.SecurityToken, admin.Credentials.AccessKeySecret, "Signature=", "SecurityToken="} {
					if strings.Contains(msg, bad) || strings.Contains(ts.log.String(), bad) {
						t.Errorf("error or debug log contains %q:\n%s\n%s", bad, msg, ts.log.String())
					}
				}
				// Exactly `attempts` requests reached STS, and each was
				// abandoned by the client, not answered.
				waitCalls(t, emu, testProdArn, attempts)
				for _, c := range emu.Calls() {
					if c.RoleArn == testProdArn && (c.Success || !c.Canceled) {
						t.Errorf("prod call should have been abandoned: %+v", c)
					}
				}
				if entries, _ := ts.store.Sessions("prod"); len(entries) != 0 {
					t.Errorf("a failed hop cached something: %+v", entries)
				}
				return
			}
			if err != nil {
				t.Fatalf("one slow answer should be retried: %v", err)
			}
			if !res.Credentials.IsSTS() || emu.Count("AssumeRole", testProdArn) != 1 {
				t.Fatalf("credentials %v, successful prod calls %d", res.Credentials, emu.Count("AssumeRole", testProdArn))
			}
		})
	}
}

// waitCalls waits until the emulator has logged n calls for roleArn; an
// abandoned call is logged once the server notices the client left.
func waitCalls(t *testing.T, emu *stsemu.Server, roleArn string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := 0
		for _, c := range emu.Calls() {
			if c.RoleArn == roleArn {
				got++
			}
		}
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			t.Fatalf("calls for %s = %d, want %d", roleArn, got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
