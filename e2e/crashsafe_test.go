package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/aliyuncli"
	"github.com/alirole/alirole/internal/atomicfile"
	"github.com/alirole/alirole/internal/ramkeys"
	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/internal/testkit"
	"github.com/alirole/alirole/keychain"
)

// fileStore opens the sandbox's file keychain in this process, to check
// what the killed processes left.
func (s *sandbox) fileStore() *keychain.Store {
	s.t.Helper()
	ring, err := keychain.Open(keychain.Options{
		Backend:    "file",
		FileDir:    s.path("keys"),
		Passphrase: func(string) (string, error) { return passphrase, nil },
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return keychain.New(ring)
}

// killRun runs alirole and sends it SIGKILL after delay; killed reports
// whether the kill came before it finished.
func (s *sandbox) killRun(delay time.Duration, extra []string, args ...string) (killed bool, r result) {
	s.t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(append([]string{}, s.env...), extra...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	err := cmd.Wait()
	timer.Stop()
	r = result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true, r
		}
	}
	return false, r
}

// crashPhase kills one command at random points until it has been killed
// quota times (or its time is up), checking after every run.
type crashPhase struct {
	name  string
	quota int
	// args returns the command line of run i (and its extra environment).
	args func(i int) (extra []string, args []string)
	// before prepares run i; check verifies what run i (killed or not)
	// left behind.
	before, check func(i int)
}

func runPhase(t *testing.T, s *sandbox, rng *rand.Rand, p crashPhase, budget time.Duration) (kills, runs int) {
	t.Helper()
	// Kill points spread over a typical run, measured on an unkilled one.
	start := time.Now()
	i := 0
	if p.before != nil {
		p.before(i)
	}
	extra, args := p.args(i)
	if r := s.run(extra, args...); r.code != 0 {
		t.Fatalf("%s: calibration run: %s", p.name, r)
	}
	p.check(i)
	typical := time.Since(start)
	deadline := time.Now().Add(budget)
	for kills < p.quota && time.Now().Before(deadline) {
		i++
		if p.before != nil {
			p.before(i)
		}
		extra, args := p.args(i)
		delay := time.Duration(rng.Int64N(int64(typical) + 1))
		killed, r := s.killRun(delay, extra, args...)
		runs++
		if killed {
			kills++
		} else if r.code != 0 {
			t.Fatalf("%s run %d (not killed) failed: %s", p.name, i, r)
		}
		p.check(i)
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("%s: %d kills in %d runs (typical run %s)", p.name, kills, runs, typical.Round(time.Millisecond))
	return kills, runs
}

// TestCrashSafety kills alirole with SIGKILL at random points during add,
// rotate (against the emulator's RAM), setup-cli, import --scrub and
// session writes. After every run: each AccessKey stored before still
// decrypts to its value (rotate: the stored key still works at RAM), the
// config files parse, a scrubbed secret is in the keychain. After the
// next successful run of each: no temporary file anywhere.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	s, emu := rotationSandbox(t, testWorld())
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	store := s.fileStore()
	cfgPath := s.path("config")
	cliPath := s.path("home/.aliyun/config.json")

	// stored: every AccessKey seen in the keychain, which must stay.
	stored := map[string]keychain.AccessKey{}
	mustKey := func(profile string, want keychain.AccessKey) {
		t.Helper()
		got, err := store.AccessKey(profile)
		if err != nil || got != want {
			t.Errorf("AccessKey of %s after a kill: %v (err %v), want %s", profile, got.ID, err, want.ID)
		}
	}
	// seen records profile's key if a run stored it; a key found must be
	// the one given.
	seen := func(profile string, want keychain.AccessKey) {
		t.Helper()
		got, err := store.AccessKey(profile)
		switch {
		case errors.Is(err, keychain.ErrNotFound):
			if _, ok := stored[profile]; ok {
				t.Errorf("AccessKey of %s vanished", profile)
			}
		case err != nil || got != want:
			t.Errorf("AccessKey of %s: %v (err %v), want %s", profile, got.ID, err, want.ID)
		default:
			stored[profile] = want
		}
	}
	someStored := func() {
		t.Helper()
		n := 0
		for p, ak := range stored { // map order: a random few each time
			if n++; n > 2 {
				break
			}
			mustKey(p, ak)
		}
	}
	configSound := func() *config.Config {
		t.Helper()
		data, err := os.ReadFile(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Parse(cfgPath, data)
		if err != nil {
			t.Fatalf("alirole config damaged: %v\n%s", err, data)
		}
		return cfg
	}
	cliSound := func() *aliyuncli.File {
		t.Helper()
		f, err := aliyuncli.Load(cliPath)
		if err != nil {
			t.Fatalf("aliyun CLI config damaged: %v", err)
		}
		backups, _ := filepath.Glob(cliPath + ".alirole-backup*")
		if len(backups) > 1 {
			t.Fatalf("more than one backup: %v", backups)
		}
		for _, b := range backups {
			if fi, err := os.Stat(b); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("backup %s: %v", b, err)
			}
		}
		return f
	}
	akOf := func(kind string, i int) keychain.AccessKey {
		return keychain.AccessKey{ID: fmt.Sprintf("LTAI5tCrash%s%06d", kind, i), Secret: fmt.Sprintf("crash+%s/secret=%d", kind, i)}
	}
	alice := keychain.AccessKey{ID: aliceKeyID, Secret: aliceSecret}
	stored["alice"] = alice

	// The aliyun CLI config starts with a profile of the user's own.
	addCLIProfile(t, cliPath, nil, map[string]any{"name": "own", "mode": "AK", "access_key_id": "LTAI5tOwnKey", "access_key_secret": "own-secret", "region_id": "cn-hangzhou"})
	cliSeen := map[string]bool{}

	ramClient := ramkeys.SDKClient{Endpoint: emu.Endpoint()}
	phases := []crashPhase{
		{
			name: "add", quota: 60,
			args: func(i int) ([]string, []string) {
				ak := akOf("A", i)
				return []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + ak.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + ak.Secret},
					[]string{"add", "--env", fmt.Sprintf("a%d", i)}
			},
			check: func(i int) {
				seen(fmt.Sprintf("a%d", i), akOf("A", i))
				someStored()
				configSound()
			},
		},
		{
			name: "rotate", quota: 40,
			args: func(int) ([]string, []string) { return nil, []string{"rotate", "alice"} },
			check: func(int) {
				// The stored key must be one RAM still has, whatever the
				// kill interrupted; then the user deletes the other one,
				// as rotate's message tells them to.
				local, err := store.AccessKey("alice")
				if err != nil {
					t.Fatalf("alice's AccessKey after a kill: %v", err)
				}
				if err := stsCheck(emu, local.ID, local.Secret); err != nil {
					t.Fatalf("alice's stored AccessKey %s no longer works: %v", local.ID, err)
				}
				stored["alice"] = local
				for _, k := range aliceKeys(emu) {
					if k.ID != local.ID {
						if err := ramClient.DeleteAccessKey(context.Background(), local, k.ID); err != nil {
							t.Fatalf("delete the spare key %s: %v", k.ID, err)
						}
					}
				}
				someStored()
			},
		},
		{
			name: "setup-cli", quota: 50,
			args: func(i int) ([]string, []string) {
				return nil, []string{"setup-cli", "prod", "--cli-profile", fmt.Sprintf("c%d", i), "--region", "cn-hangzhou"}
			},
			check: func(i int) {
				f := cliSound()
				if _, ok := f.Profile(fmt.Sprintf("c%d", i)); ok {
					cliSeen[fmt.Sprintf("c%d", i)] = true
				}
				for name := range cliSeen {
					if _, ok := f.Profile(name); !ok {
						t.Fatalf("aliyun CLI profile %s vanished", name)
					}
				}
				if p, ok := f.Profile("own"); !ok || p.AccessKeySecret != "own-secret" {
					t.Fatal("the user's own aliyun CLI profile was damaged")
				}
				configSound()
			},
		},
		{
			name: "import --scrub", quota: 40,
			before: func(i int) {
				ak := akOf("I", i)
				addCLIProfile(t, cliPath, cliSound(), map[string]any{"name": fmt.Sprintf("i%d", i), "mode": "AK", "access_key_id": ak.ID, "access_key_secret": ak.Secret, "region_id": "cn-hangzhou"})
			},
			args: func(i int) ([]string, []string) {
				return nil, []string{"import", "--scrub", fmt.Sprintf("i%d", i)}
			},
			check: func(i int) {
				name := fmt.Sprintf("i%d", i)
				seen(name, akOf("I", i))
				f := cliSound()
				p, ok := f.Profile(name)
				if !ok {
					t.Fatalf("aliyun CLI profile %s vanished", name)
				}
				if p.AccessKeySecret == "" {
					// Scrubbed: the secret must be in the keychain.
					if _, ok := stored[name]; !ok {
						t.Fatalf("%s was scrubbed from config.json but its AccessKey is not in the keychain", name)
					}
				}
				someStored()
				configSound()
			},
		},
		{
			name: "session writes", quota: 60,
			args: func(int) ([]string, []string) {
				return nil, []string{"export", "--refresh", "--format", "external", "audit"}
			},
			check: func(int) {
				entries, err := store.Sessions("")
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.Err != nil {
						t.Fatalf("session %s damaged by a kill: %v", e.Key, e.Err)
					}
				}
				someStored()
			},
		},
	}
	var summary []string
	totalKills, totalRuns := 0, 0
	for _, p := range phases {
		kills, runs := runPhase(t, s, rng, p, 40*time.Second)
		totalKills += kills
		totalRuns += runs
		summary = append(summary, fmt.Sprintf("%s %d", p.name, kills))
	}

	// The next successful run of each command cleans what the kills left.
	ak := akOf("A", 999999)
	if r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + ak.ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + ak.Secret}, "add", "--env", "final"); r.code != 0 {
		t.Fatalf("add after the kills: %s", r)
	}
	stored["final"] = ak
	s.ok("rotate", "alice")
	alice, _ = store.AccessKey("alice")
	stored["alice"] = alice
	s.ok("setup-cli", "prod", "--cli-profile", "cfinal", "--region", "cn-hangzhou")
	addCLIProfile(t, cliPath, cliSound(), map[string]any{"name": "ifinal", "mode": "AK", "access_key_id": "LTAI5tCrashFinal", "access_key_secret": "final-secret", "region_id": "cn-hangzhou"})
	s.ok("import", "--scrub", "ifinal")
	checkExternal(t, "after the kills", s.ok("export", "--refresh", "--format", "external", "audit").stdout)
	for p, ak := range stored {
		mustKey(p, ak)
	}
	if err := stsCheck(emu, alice.ID, alice.Secret); err != nil {
		t.Errorf("alice's stored key does not work at the end: %v", err)
	}
	configSound()
	cliSound()
	var left []string
	filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(s.dir, path)
		if atomicfile.IsTemp(d.Name()) || (strings.Contains(rel, ".~alirole-staging"+string(filepath.Separator)+"items"+string(filepath.Separator)) && !d.IsDir()) {
			left = append(left, rel)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("temporary files left after the next successful runs: %v", left)
	}
	t.Logf("crash summary: %d SIGKILLs in %d runs (%s); %d AccessKeys stored, all intact (each run's own and two others checked after every run, all at the end); config files intact; no temporary file left",
		totalKills, totalRuns, strings.Join(summary, ", "), len(stored))
	if totalKills < 200 {
		t.Errorf("only %d kills landed within the time budget: want at least 200", totalKills)
	}
}

// addCLIProfile writes the aliyun CLI config with the profiles f has
// (nil: none) plus add, as the user (or the aliyun CLI) would.
func addCLIProfile(t *testing.T, path string, f *aliyuncli.File, add map[string]any) {
	t.Helper()
	doc := map[string]any{"current": "own", "profiles": []any{}}
	if f != nil {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
	}
	doc["profiles"] = append(doc["profiles"].([]any), add)
	data, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestParallelAddsKeepEverything: 20 concurrent `add --env` of new
// profiles leave 20 sections and 20 keys.
func TestParallelAddsKeepEverything(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, nil, "")
	const n = 20
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Go(func() {
			r, err := s.start([]string{
				fmt.Sprintf("ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tParallel%04d", i),
				fmt.Sprintf("ALIBABA_CLOUD_ACCESS_KEY_SECRET=parallel-secret-%d", i),
			}, 60*time.Second, "add", "--env", fmt.Sprintf("p%d", i))
			if err != nil {
				r = result{stderr: err.Error(), code: -1}
			}
			results[i] = r
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("add p%d: %s", i, r)
		}
	}
	data, err := os.ReadFile(s.path("config"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(s.path("config"), data)
	if err != nil {
		t.Fatal(err)
	}
	store := s.fileStore()
	sections := 0
	for i := range n {
		name := fmt.Sprintf("p%d", i)
		if _, err := cfg.Profile(name); err == nil {
			sections++
		}
		ak, err := store.AccessKey(name)
		if err != nil || ak.ID != fmt.Sprintf("LTAI5tParallel%04d", i) {
			t.Errorf("key of %s: %v %v", name, ak.ID, err)
		}
	}
	profiles, _ := store.Profiles()
	t.Logf("%d parallel adds: %d sections, %d keys", n, sections, len(profiles))
	if sections != n || len(profiles) != n {
		t.Fatalf("%d parallel adds left %d sections and %d keys:\n%s", n, sections, len(profiles), data)
	}
}

// TestClearDuringFetchCachesNothing holds prod's AssumeRole open at the
// emulator (alice's key already read, admin's session fetched) while
// `remove` or `clear` runs: the export in flight may finish, but no session
// it fetched may be cached after the clear.
func TestClearDuringFetchCachesNothing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"remove", []string{"remove", "--force", "alice"}},
		{"clear", []string{"clear"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, emu := ready(t)
			emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: prodArn, Latency: 1500 * time.Millisecond, Times: 1})
			done := make(chan result, 1)
			go func() {
				r, err := s.start(nil, 60*time.Second, "export", "--format", "external", "prod")
				if err != nil {
					r = result{stderr: err.Error(), code: -1}
				}
				done <- r
			}()
			// admin's AssumeRole has succeeded: the key was read and the
			// prod call is on its way into the held response.
			deadline := time.Now().Add(20 * time.Second)
			for emu.Count("AssumeRole", adminArn) == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the export never reached STS")
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			s.ok(tc.args...)
			if r := <-done; r.code != 0 {
				t.Logf("the export in flight failed (allowed): %s", r)
			}
			if prodHeld := emu.Count("AssumeRole", prodArn); prodHeld != 1 {
				t.Fatalf("prod's AssumeRole was not held during the %s (%d calls)", tc.name, prodHeld)
			}
			if entries, err := s.fileStore().Sessions(""); err != nil || len(entries) != 0 {
				t.Errorf("sessions cached after the %s: %d (err %v)", tc.name, len(entries), err)
			}
			emu.ResetCalls()
			r := s.run(nil, "export", "--format", "external", "prod")
			switch tc.name {
			case "remove":
				if r.code == 0 {
					t.Fatalf("an export succeeded after remove (from a cached session): %s", r)
				}
			case "clear":
				if r.code != 0 || emu.Count("AssumeRole", "") == 0 {
					t.Fatalf("the export after clear was served from the cache (%d STS calls): %s", emu.Count("AssumeRole", ""), r)
				}
			}
		})
	}
}

// straceKill runs alirole under strace, killed (SIGKILL) at its first
// write(2) to path, the way issue #11 reproduced the empty item.
func (s *sandbox) straceKill(path string, args ...string) (killed bool, r result) {
	s.t.Helper()
	argv := append([]string{"-f", "-qq", "-o", "/dev/null", "-P", path, "-e", "trace=write,pwrite64,writev",
		"-e", "inject=write,pwrite64,writev:signal=KILL:when=1", binPath}, args...)
	cmd := exec.Command("strace", argv...)
	cmd.Env = s.env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	// strace ends the way its tracee did: killed by the same signal.
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	killed = ws.Signaled() && ws.Signal() == syscall.SIGKILL
	return killed, result{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

// TestRotateKilledAtItemWrite is the deterministic form of the issue's
// report: rotate killed at its first write to alice's item. The item is
// never written in place any more, so a kill there cannot happen; a kill
// at the first write of the staged copy leaves the old key stored, and it
// still works because rotate deletes it only after the new one is stored.
func TestRotateKilledAtItemWrite(t *testing.T) {
	t.Parallel()
	testkit.LookPath(t, "strace", "strace")
	if err := exec.Command("strace", "-qq", "-o", "/dev/null", "true").Run(); err != nil {
		testkit.Missing(t, "strace", "strace cannot trace here (ptrace not allowed?): %v", err)
	}
	s, emu := rotationSandbox(t, testWorld())
	store := s.fileStore()
	old, err := store.AccessKey("alice")
	if err != nil {
		t.Fatal(err)
	}

	// Killed while writing the staged copy of the new key.
	if killed, r := s.straceKill(s.path("keys/.~alirole-staging/items/alice"), "rotate", "alice"); !killed {
		t.Fatalf("rotate was not killed at the staged write: %s", r)
	}
	got, err := store.AccessKey("alice")
	if err != nil || got != old {
		t.Fatalf("after the kill the keychain holds %v (err %v), want the old key", got.ID, err)
	}
	if err := stsCheck(emu, got.ID, got.Secret); err != nil {
		t.Fatalf("the stored key no longer works: %v", err)
	}
	// The user deletes the new key that was never stored, as rotate's
	// design leaves it (RAM allows two keys).
	for _, k := range aliceKeys(emu) {
		if k.ID != old.ID {
			if err := (ramkeys.SDKClient{Endpoint: emu.Endpoint()}).DeleteAccessKey(context.Background(), old, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}

	// A kill at the first write to the item file itself never comes: it
	// is replaced by rename, so rotate completes.
	if killed, r := s.straceKill(s.path("keys/alice"), "rotate", "alice"); killed || r.code != 0 {
		t.Fatalf("rotate under a kill at the first write to the item: %s", r)
	}
	got, err = store.AccessKey("alice")
	if err != nil || got == old {
		t.Fatalf("after the rotate the keychain holds %v (err %v)", got.ID, err)
	}
	if err := stsCheck(emu, got.ID, got.Secret); err != nil {
		t.Fatalf("the new key does not work: %v", err)
	}
	if left, _ := os.ReadDir(s.path("keys/.~alirole-staging/items")); len(left) != 0 {
		t.Errorf("staging directory not cleaned by the successful rotate: %v", left)
	}
}
