package e2e

import (
	"crypto/sha256"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/internal/testkit"
)

// A second, independent chain in another account: bob -> ops.
const (
	acct2     = "5555666677778888"
	bobKeyID  = "LTAI5tBobKey000000000001"
	bobSecret = "BobSecret+another/odd=value99"
)

var opsArn = stsemu.RoleARN(acct2, "ops")

const bobConfig = `
[profile bob]
region_id = eu-central-1

[profile ops]
source_profile = bob
ram_role_arn = acs:ram::5555666677778888:role/ops
`

// twoChainWorld is testWorld plus bob's account.
func twoChainWorld() *stsemu.World {
	w := testWorld()
	w.Accounts = append(w.Accounts, stsemu.Account{
		ID:    acct2,
		Users: []stsemu.User{{Name: "bob", AccessKeys: []stsemu.AccessKey{{ID: bobKeyID, Secret: bobSecret}}}},
		Roles: []stsemu.Role{{Name: "ops", Trust: []stsemu.Trust{{Principal: stsemu.UserARN(acct2, "bob")}}}},
	})
	return w
}

// checkExternal fails unless out is usable External JSON for a session.
func checkExternal(t *testing.T, what, out string) externalJSON {
	t.Helper()
	e := parseExternal(t, out)
	exp, err := time.Parse("2006-01-02T15:04:05Z", e.Expiration)
	switch {
	case e.Mode != "StsToken", !strings.HasPrefix(e.AccessKeyID, "STS."), e.AccessKeySecret == "", e.StsToken == "":
		t.Fatalf("%s: incomplete credentials (mode %q, key %q)", what, e.Mode, e.AccessKeyID)
	case err != nil || !exp.After(time.Now().Add(10*time.Minute)):
		t.Fatalf("%s: expiration %q is not well in the future (%v)", what, e.Expiration, err)
	}
	return e
}

// privateBus stands for the address of a dbus-daemon of the test's own.
const privateBus = "<private bus>"

// TestKeychainUnavailable: a Secret Service that is not there (no bus, a
// bus whose daemon died, a wedged bus, a bus without a keyring daemon)
// fails fast with the reason and the way out, never a hang or a panic.
func TestKeychainUnavailable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A socket whose listener is gone: what a crashed dbus-daemon leaves.
	stale := filepath.Join(dir, "stale-bus")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	// A bus that accepts connections and never says anything.
	wedged := filepath.Join(dir, "wedged-bus")
	wl, err := net.Listen("unix", wedged)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wl.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := wl.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()

	cases := []struct {
		name, bus string
		want      []string
	}{
		{"no bus", "", []string{"DBUS_SESSION_BUS_ADDRESS is not set"}},
		{"socket missing", "unix:path=" + filepath.Join(dir, "nothing"), []string{"cannot reach the D-Bus session bus", "no such file"}},
		{"daemon gone", "unix:path=" + stale, []string{"cannot reach the D-Bus session bus", "connection refused"}},
		{"bus wedged", "unix:path=" + wedged, []string{"did not answer within"}},
		{"bus without keyring daemon", privateBus, []string{"no Secret Service provider"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.bus == privateBus {
				tc.bus = testkit.PrivateBus(t)
			}
			s := newSandbox(t, nil, "")
			s.writeConfig(chainConfig)
			env := []string{"ALIROLE_BACKEND=secret-service", "DBUS_SESSION_BUS_ADDRESS=" + tc.bus}
			for _, args := range [][]string{{"export", "prod"}, {"add", "--env", "alice"}, {"list"}} {
				start := time.Now()
				r := s.run(append(env, "ALIBABA_CLOUD_ACCESS_KEY_ID="+aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+aliceSecret), args...)
				if took := time.Since(start); took > 10*time.Second {
					t.Errorf("%v took %s", args, took)
				}
				if r.code == 0 || r.stdout != "" {
					t.Fatalf("%v should fail without output: %s", args, r)
				}
				for _, w := range append([]string{"keychain backend unavailable: secret-service", "--backend file"}, tc.want...) {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("%v: stderr lacks %q:\n%s", args, w, r.stderr)
					}
				}
				if strings.Contains(r.stderr, aliceSecret) || strings.Contains(r.stderr, "panic") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
					t.Errorf("%v: want one clean line:\n%s", args, r.stderr)
				}
			}
		})
	}
}

// TestLockedSecretService: with alirole's items in a GNOME Keyring
// collection that gets locked, commands fail saying so (nothing is
// deleted, STS is not called), and once the keyring is unlocked again the
// key and the cached sessions are all still there.
func TestLockedSecretService(t *testing.T) {
	t.Parallel()
	daemon, err := exec.LookPath("gnome-keyring-daemon")
	if err == nil {
		_, err = exec.LookPath("dbus-send")
	}
	if err != nil {
		testkit.Missing(t, "keyring:secret-service", "gnome-keyring-daemon and dbus-send are not installed")
	}
	testkit.Uses(t, "keyring:secret-service")
	bus := testkit.PrivateBus(t)
	dir := t.TempDir()
	daemonEnv := []string{"DBUS_SESSION_BUS_ADDRESS=" + bus, "HOME=" + dir, "XDG_DATA_HOME=" + filepath.Join(dir, "data"), "XDG_RUNTIME_DIR=" + dir, "PATH=" + os.Getenv("PATH")}
	// The keyring daemon, with the login keyring unlocked by its password.
	startKeyring := func() (stop func()) {
		cmd := exec.Command(daemon, "--foreground", "--unlock", "--components=secrets")
		cmd.Env = daemonEnv
		cmd.Stdin = strings.NewReader("keyring password")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		stop = func() {
			once.Do(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
		}
		t.Cleanup(stop)
		return stop
	}
	stopKeyring := startKeyring()

	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.env = append(s.env, "ALIROLE_BACKEND=secret-service", "ALIROLE_KEYRING_NAME=login", "DBUS_SESSION_BUS_ADDRESS="+bus)
	// The daemon takes a moment to claim its name on the bus.
	deadline := time.Now().Add(10 * time.Second)
	for s.run(nil, "list").code != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the keyring daemon did not come up: %s", s.run(nil, "list"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.addAlice()
	good := checkExternal(t, "unlocked", s.ok("export", "--format", "external", "prod").stdout)

	lock := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
		"org.freedesktop.Secret.Service.Lock", "array:objpath:/org/freedesktop/secrets/collection/login")
	lock.Env = daemonEnv
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("lock the keyring: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"export", "--format", "external", "prod"},
		{"export", "--refresh", "audit"},
		{"exec", "admin", "--", "true"},
		{"remove", "--force", "alice"},
	} {
		r := s.run(nil, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "locked") {
			t.Errorf("%v on a locked keyring: want an error that says so:\n%s", args, r)
		}
		if r.stdout != "" || strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, aliceSecret) {
			t.Errorf("%v: unexpected output:\n%s", args, r)
		}
	}
	if got := counts(emu); got != [3]int{1, 1, 0} {
		t.Errorf("a locked keyring must not lead to STS calls: %v", got)
	}

	// Unlock by restarting the daemon with the password: all still there.
	stopKeyring()
	startKeyring()
	deadline = time.Now().Add(10 * time.Second)
	for {
		r := s.run(nil, "export", "--format", "external", "prod")
		if r.code == 0 {
			if checkExternal(t, "unlocked again", r.stdout) != good {
				t.Error("the cached session changed")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after unlocking: %s", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := counts(emu); got != [3]int{1, 1, 0} {
		t.Errorf("the key or sessions were lost while locked: calls %v", got)
	}
}

// TestWrongPassphraseDeletesNothing: the file keychain opened with a wrong
// passphrase gives a clear error for every command, and neither the key nor
// the cached sessions are deleted or rewritten.
func TestWrongPassphraseDeletesNothing(t *testing.T) {
	t.Parallel()
	s, emu := ready(t)
	good := checkExternal(t, "before", s.ok("export", "--format", "external", "audit").stdout)
	before := snapshotDir(t, s.path("keys"))
	if len(before) != 4 {
		t.Fatalf("want the key and 3 sessions in the file keychain, got %d files", len(before))
	}
	wrong := []string{"ALIROLE_FILE_PASSPHRASE=not the passphrase"}
	for _, args := range [][]string{
		{"export", "--format", "external", "audit"},
		{"export", "--refresh", "prod"},
		{"exec", "prod", "--", "true"},
		{"whoami", "admin"},
		{"list"},
		{"add", "--env", "alice"},
	} {
		r := s.run(append(wrong, "ALIBABA_CLOUD_ACCESS_KEY_ID="+aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=replacement-secret"), args...)
		if args[0] == "list" && r.code == 0 {
			// list may show what it can, but must say the items do not open.
			if !strings.Contains(r.stderr, "3 cached session(s) could not be read") || !strings.Contains(r.stderr, "wrong passphrase") {
				t.Errorf("list with a wrong passphrase does not say so:\n%s", r)
			}
		} else if r.code == 0 || !strings.Contains(r.stderr, "wrong passphrase") {
			t.Errorf("%v with a wrong passphrase: want a clear error:\n%s", args, r)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "corrupt") {
			t.Errorf("%v: a wrong passphrase is not damage:\n%s", args, r.stderr)
		}
		if after := snapshotDir(t, s.path("keys")); !sameSnapshot(before, after) {
			t.Fatalf("%v with a wrong passphrase changed the file keychain", args)
		}
	}
	if got := counts(emu); got != [3]int{1, 1, 1} {
		t.Errorf("a wrong passphrase must not reach STS: calls %v", got)
	}
	// With the right passphrase everything is still there.
	if again := checkExternal(t, "after", s.ok("export", "--format", "external", "audit").stdout); again != good {
		t.Error("the cached session changed")
	}
	if got := counts(emu); got != [3]int{1, 1, 1} {
		t.Errorf("cache should have survived: calls %v", got)
	}
}

// snapshotDir maps each file name below dir to a hash of its content.
func snapshotDir(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // the file keychain's staging directory
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = sha256.Sum256(data)
	}
	return m
}

func sameSnapshot(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestKillNineLoop kills alirole with SIGKILL at random moments while it
// resolves a 2-hop chain against a slow STS, including while it writes
// the session cache (half the runs use --refresh, so every run writes).
// Afterwards a normal run must work and the cache must be sound.
func TestKillNineLoop(t *testing.T) {
	t.Parallel()
	s, emu := ready(t)
	emu.Inject(stsemu.Fault{Action: "AssumeRole", Latency: 100 * time.Millisecond})
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const iterations = 30
	var killedEarly atomic.Int32
	for range iterations {
		var wg sync.WaitGroup
		for _, args := range [][]string{
			{"export", "--format", "external", "prod"},
			{"export", "--refresh", "--format", "external", "prod"},
		} {
			delay := time.Duration(rng.IntN(300)) * time.Millisecond
			cmd := exec.Command(binPath, args...)
			cmd.Env = s.env
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
				err := cmd.Wait()
				if timer.Stop() {
					return // finished before the kill
				}
				if ee, ok := err.(*exec.ExitError); ok && !ee.Exited() {
					killedEarly.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	if killedEarly.Load() < iterations/3 {
		t.Fatalf("only %d runs were killed mid-way: the loop did not test much", killedEarly.Load())
	}
	emu.ClearFaults()
	// Writes are crash-safe: no kill leaves a damaged item.
	if r := s.ok("list"); strings.Contains(strings.ToLower(r.stdout+r.stderr), "corrupt") {
		t.Errorf("list right after the kills reports damage:\n%s", r)
	}
	// Damaged items can still come from elsewhere (a disk, an older
	// alirole): cut every cached session, so that the next run must read,
	// drop and replace each one whatever the kills left (a cut item the
	// next run never reads would make the final list flaky).
	entries, _ := filepath.Glob(s.path("keys/session*"))
	for _, f := range entries {
		if data, err := os.ReadFile(f); err == nil && len(data) > 0 {
			if err := os.WriteFile(f, data[:rng.IntN(len(data))], 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d of %d runs were killed before they finished; %d cache items cut afterwards", killedEarly.Load(), 2*iterations, len(entries))

	// A normal run works, whatever the kills left behind.
	first := checkExternal(t, "after the kills", s.ok("export", "--format", "external", "prod").stdout)
	emu.ResetCalls()
	// The cache is sound: a further run makes no call and returns the same.
	if again := checkExternal(t, "cached", s.ok("export", "--format", "external", "prod").stdout); again != first {
		t.Error("the next run returned other credentials")
	}
	if n := len(emu.Calls()); n != 0 {
		t.Errorf("the cache did not serve the next run: %d STS calls", n)
	}
	r := s.ok("list")
	if !regexpLine(r.stdout, `^prod\s.*\d+m left$`) || strings.Contains(strings.ToLower(r.stdout+r.stderr), "corrupt") {
		t.Errorf("list after the kills:\n%s", r)
	}
	// No process is left holding a lock: a --refresh run gets through at once.
	start := time.Now()
	s.ok("export", "--refresh", "--format", "external", "prod")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a refresh after the kills took %s (stale lock?)", took)
	}
}

// TestLoad runs 200 `export --format external` processes over four
// profiles of two independent chains: 100 start on a cold cache, and 100
// more start while those are still finishing. Every process must get
// valid credentials, STS must see one AssumeRole per hop, and the cache
// must be sound afterwards.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 200 processes")
	}
	t.Parallel()
	emu, ca := newEmulatorWith(t, twoChainWorld())
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig + bobConfig)
	s.addAlice()
	if r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + bobKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + bobSecret}, "add", "--env", "bob"); r.code != 0 {
		t.Fatal(r)
	}
	// Slow STS answers keep the cold processes queued on the hop locks.
	emu.Inject(stsemu.Fault{Action: "AssumeRole", Latency: 250 * time.Millisecond})

	profiles := []string{"admin", "prod", "audit", "ops"}
	const perBatch = 100
	type outcome struct {
		profile string
		r       result
	}
	results := make([]outcome, 2*perBatch)
	var (
		wg                     sync.WaitGroup
		finished, running, top atomic.Int32
	)
	start := time.Now()
	launch := func(base int) {
		for i := range perBatch {
			n := base + i
			profile := profiles[n%len(profiles)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				for now := running.Add(1); ; {
					if peak := top.Load(); now <= peak || top.CompareAndSwap(peak, now) {
						break
					}
				}
				results[n] = outcome{profile, runQuiet(s, "export", "--format", "external", profile)}
				running.Add(-1)
				finished.Add(1)
			}()
		}
	}
	launch(0)
	// The second batch starts once the first has begun to finish, so warm
	// runs overlap with cold ones still waiting for their hops.
	for finished.Load() < perBatch/4 {
		time.Sleep(5 * time.Millisecond)
	}
	launch(perBatch)
	wg.Wait()
	t.Logf("200 processes finished in %s, at most %d at once", time.Since(start), top.Load())
	if top.Load() <= perBatch {
		t.Errorf("the batches did not overlap: at most %d processes at once", top.Load())
	}

	byProfile := map[string]externalJSON{}
	for i, o := range results {
		if o.r.code != 0 {
			t.Fatalf("process %d (%s) failed: %s", i, o.profile, o.r)
		}
		e := checkExternal(t, o.profile, o.r.stdout)
		if prev, ok := byProfile[o.profile]; ok && prev != e {
			t.Fatalf("process %d got other %s credentials than an earlier one", i, o.profile)
		}
		byProfile[o.profile] = e
	}
	for _, arn := range []string{adminArn, prodArn, auditArn, opsArn} {
		if n := emu.Count("AssumeRole", arn); n != 1 {
			t.Errorf("AssumeRole %s: %d calls, want 1", arn, n)
		}
	}
	if n := len(emu.Calls()); n != 4 {
		t.Errorf("STS saw %d requests, want 4", n)
	}

	emu.ClearFaults()
	emu.ResetCalls()
	r := s.ok("list")
	for _, p := range profiles {
		if !regexpLine(r.stdout, `^`+p+`\s.*\d+m left$`) {
			t.Errorf("list does not show a session for %s:\n%s", p, r.stdout)
		}
	}
	for _, p := range profiles {
		if e := checkExternal(t, p, s.ok("export", "--format", "external", p).stdout); e != byProfile[p] {
			t.Errorf("%s: the cache holds other credentials than were handed out", p)
		}
	}
	if n := len(emu.Calls()); n != 0 {
		t.Errorf("warm runs after the load made %d STS calls", n)
	}
}

// runQuiet is s.run for use from goroutines (no t.Fatal there): a
// failure to start shows as exit -1 with the reason in stderr.
func runQuiet(s *sandbox, args ...string) result {
	r, err := s.start(nil, 90*time.Second, args...)
	if err != nil {
		r.code = -1
		r.stderr += err.Error()
	}
	return r
}
