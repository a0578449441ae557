package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus"

	"github.com/alirole/alirole/keychain"
)

// secretServiceEnv is set by scripts/keyring-suite. It promises that
// DBUS_SESSION_BUS_ADDRESS is a throwaway session bus with an unlocked
// GNOME Keyring on it, in which the tests may create and delete
// collections. Never set it in a desktop session you care about.
const secretServiceEnv = "ALIROLE_TEST_SECRET_SERVICE"

// ringFixture is one real keychain backend made ready for a sandbox.
type ringFixture struct {
	// flags select and configure the backend on alirole's command line.
	flags []string
	// items lists the item names as the backend itself sees them, so the
	// journey checks the store directly rather than trusting alirole.
	items func(t *testing.T) []string
	// atRest are directories outside the sandbox where the backend keeps
	// its data; they are searched for secrets in plain text.
	atRest []string
	// stored checks that the backend really wrote the items somewhere
	// (nil when it keeps them only in memory), so that the plain-text
	// search cannot pass by looking in the wrong place.
	stored func(t *testing.T)
}

type ringBackend struct {
	name    string
	prepare func(t *testing.T, s *sandbox) ringFixture
}

func ringBackends() []ringBackend {
	return []ringBackend{
		{"file", prepareFileRing},
		{"secret-service", prepareSecretService},
		{"pass", preparePass},
		{"keyctl", prepareKeyctl},
	}
}

// TestKeyringBackends walks one user's journey on each real backend:
// add, exec, a cached export, list, data at rest, clear, remove. Each step
// is a subtest, so the -v output shows per-backend counts
// (scripts/keyring-suite prints them).
func TestKeyringBackends(t *testing.T) {
	for _, b := range ringBackends() {
		t.Run(b.name, func(t *testing.T) {
			emu, ca := newEmulator(t)
			s := newSandbox(t, emu, ca)
			s.writeConfig(chainConfig)
			j := &journey{sb: s, fx: b.prepare(t, s), counts: func() [3]int { return counts(emu) }}
			steps := j.steps()
			for _, st := range steps {
				if !t.Run(st.name, st.run) {
					t.FailNow() // later steps build on this one
				}
			}
			t.Logf("backend %s: %d passed", b.name, len(steps))
		})
	}
}

type journey struct {
	sb     *sandbox
	fx     ringFixture
	counts func() [3]int
	child  [3]string // id, secret, token that the exec'd child saw
}

type step struct {
	name string
	run  func(t *testing.T)
}

// on returns the sandbox bound to a step's t: Fatal must be called from
// the goroutine of the test that fails.
func (j *journey) on(t *testing.T) *sandbox {
	s := *j.sb
	s.t = t
	return &s
}

func (j *journey) run(t *testing.T, extra []string, args ...string) result {
	t.Helper()
	return j.on(t).run(extra, append(slices.Clone(j.fx.flags), args...)...)
}

func (j *journey) ok(t *testing.T, args ...string) result {
	t.Helper()
	r := j.run(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("alirole %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// wantItems compares the backend's own listing with the access keys and
// the number of session items expected.
func (j *journey) wantItems(t *testing.T, keys []string, sessions int) {
	t.Helper()
	var gotKeys []string
	gotSessions := 0
	for _, it := range j.fx.items(t) {
		if strings.HasPrefix(it, "session:") {
			gotSessions++
		} else {
			gotKeys = append(gotKeys, it)
		}
	}
	slices.Sort(gotKeys)
	if !slices.Equal(gotKeys, keys) || gotSessions != sessions {
		t.Fatalf("backend holds keys %v and %d sessions, want %v and %d", gotKeys, gotSessions, keys, sessions)
	}
}

func (j *journey) steps() []step {
	akEnv := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + aliceSecret}
	return []step{
		{"add", func(t *testing.T) {
			r := j.run(t, akEnv, "add", "--env", "alice")
			if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "Stored AccessKey "+aliceKeyID) {
				t.Fatalf("add: %s", r)
			}
			j.wantItems(t, []string{"alice"}, 0)
		}},
		{"exec", func(t *testing.T) {
			r := j.ok(t, "exec", "prod", "--", "sh", "-c",
				`printf '%s\n' "$ALIBABA_CLOUD_ACCESS_KEY_ID" "$ALIBABA_CLOUD_ACCESS_KEY_SECRET" "$ALIBABA_CLOUD_SECURITY_TOKEN" "$ALIROLE_PROFILE"`)
			got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(got) != 4 || !strings.HasPrefix(got[0], "STS.") || got[1] == "" || got[2] == "" || got[3] != "prod" {
				t.Fatalf("the child did not get prod's STS credentials: %q", got)
			}
			j.child = [3]string{got[0], got[1], got[2]}
			if c := j.counts(); c != [3]int{1, 1, 0} {
				t.Fatalf("AssumeRole calls per hop = %v, want [1 1 0]", c)
			}
			j.wantItems(t, []string{"alice"}, 2) // admin and prod
		}},
		{"export-cached", func(t *testing.T) {
			e := parseExternal(t, j.ok(t, "export", "--format", "external", "prod").stdout)
			if e.Mode != "StsToken" || [3]string{e.AccessKeyID, e.AccessKeySecret, e.StsToken} != j.child {
				t.Fatalf("export did not return the session the child got (mode %q)", e.Mode)
			}
			if c := j.counts(); c != [3]int{1, 1, 0} {
				t.Fatalf("a cached export called STS: calls per hop = %v", c)
			}
		}},
		{"list", func(t *testing.T) {
			out := j.ok(t, "list").stdout
			for _, re := range []string{`^alice\s+keychain\s+yes\s+-$`, `^admin\s.*\d+m left$`, `^prod\s.*\d+m left$`} {
				if !regexpLine(out, re) {
					t.Errorf("list has no line matching %s:\n%s", re, out)
				}
			}
		}},
		{"at-rest", func(t *testing.T) {
			if j.fx.stored != nil {
				j.fx.stored(t)
			}
			for _, dir := range append([]string{j.sb.dir}, j.fx.atRest...) {
				assertNoSecretAtRest(t, dir, aliceSecret, j.child[1], j.child[2])
			}
		}},
		{"clear", func(t *testing.T) {
			if r := j.ok(t, "clear"); !strings.Contains(r.stderr, "Cleared 2 cached session(s).") {
				t.Fatalf("clear: %s", r)
			}
			j.wantItems(t, []string{"alice"}, 0)
			if out := j.ok(t, "list").stdout; !regexpLine(out, `^prod\s.*\s-$`) {
				t.Fatalf("list after clear still shows a session:\n%s", out)
			}
			// The cache really is gone: the next export calls STS again.
			j.ok(t, "export", "--format", "external", "prod")
			if c := j.counts(); c != [3]int{2, 2, 0} {
				t.Fatalf("export after clear: calls per hop = %v, want [2 2 0]", c)
			}
			j.wantItems(t, []string{"alice"}, 2)
		}},
		{"remove", func(t *testing.T) {
			r := j.ok(t, "remove", "--force", "alice")
			if !strings.Contains(r.stderr, `Removed the AccessKey of profile "alice".`) || !strings.Contains(r.stderr, "Cleared 2 cached session(s).") {
				t.Fatalf("remove: %s", r)
			}
			j.wantItems(t, nil, 0)
			if out := j.ok(t, "list").stdout; !regexpLine(out, `^alice\s+keychain\s+no\s+-$`) {
				t.Fatalf("list after remove:\n%s", out)
			}
			if r := j.run(t, nil, "export", "prod"); r.code == 0 || !strings.Contains(r.stderr, "alirole add alice") {
				t.Fatalf("export after remove should say how to add the key: %s", r)
			}
		}},
	}
}

// base64Run is a stretch of text that may be base64: the keyring library
// stores each item as JSON with its data base64-encoded, so a store that
// does not encrypt shows the secret only in that form.
var base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{16,}={0,2}`)

// assertNoSecretAtRest fails if any secret appears in a file below dir,
// as it is or inside base64.
func assertNoSecretAtRest(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		texts := [][]byte{data}
		for _, run := range base64Run.FindAll(data, -1) {
			s := strings.TrimRight(string(run), "=")
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				if dec, err := enc.DecodeString(s); err == nil {
					texts = append(texts, dec)
				}
			}
		}
		for _, text := range texts {
			for _, secret := range secrets {
				if bytes.Contains(text, []byte(secret)) {
					t.Errorf("a secret is stored readably in %s", path)
					return nil
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("search %s: %v", dir, err)
	}
}

// needTools skips (or, where CI installs them, fails) without the programs.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if requireClients() {
				t.Fatalf("%s is required here", n)
			}
			t.Skipf("%s not installed", n)
		}
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// runTool runs a helper program (gpg, pass) with a deadline.
func runTool(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// environWith is this process's environment with the given variables
// replaced.
func environWith(kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		name, _, _ := strings.Cut(e, "=")
		if !slices.ContainsFunc(kv, func(s string) bool { return strings.HasPrefix(s, name+"=") }) {
			env = append(env, e)
		}
	}
	return append(env, kv...)
}

// ---- file ----

func prepareFileRing(t *testing.T, s *sandbox) ringFixture {
	dir := s.path("keys")
	return ringFixture{
		flags: []string{"--backend", "file", "--file-dir", dir},
		items: func(t *testing.T) []string {
			entries, err := os.ReadDir(dir)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				name, err := url.PathUnescape(e.Name())
				if err != nil {
					t.Fatalf("file keychain item %q: %v", e.Name(), err)
				}
				names = append(names, name)
			}
			return names
		},
		stored: func(t *testing.T) { requireFile(t, filepath.Join(dir, "alice")) },
	}
}

func requireFile(t *testing.T, path string) {
	t.Helper()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("the backend should keep an item in %s: %v", path, err)
	}
}

// ---- pass ----

func preparePass(t *testing.T, s *sandbox) ringFixture {
	needTools(t, "gpg", "gpgconf", "pass")
	gnupg := s.path("gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	store := s.path("password-store")
	env := environWith("GNUPGHOME="+gnupg, "PASSWORD_STORE_DIR="+store)
	// gpg starts an agent for this home that outlives every command; stop
	// it before the sandbox goes (cleanups run last-registered first).
	t.Cleanup(func() {
		cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("stop gpg-agent: %v\n%s", err, out)
		}
	})
	// An unprotected throwaway key: nothing can ask for a passphrase.
	runTool(t, env, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", "alirole e2e <e2e@alirole.invalid>", "future-default", "default", "never")
	var fpr string
	for _, line := range strings.Split(runTool(t, env, "gpg", "--batch", "--with-colons", "--list-secret-keys"), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" && len(f) > 9 {
			fpr = f[9]
			break
		}
	}
	if fpr == "" {
		t.Fatal("no fingerprint for the generated gpg key")
	}
	runTool(t, env, "pass", "init", fpr)
	s.env = append(s.env, "GNUPGHOME="+gnupg)
	prefix := filepath.Join(store, "alirole")
	return ringFixture{
		flags: []string{"--backend", "pass", "--pass-dir", store},
		items: func(t *testing.T) []string {
			var names []string
			err := filepath.WalkDir(prefix, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						return nil
					}
					return err
				}
				if !d.IsDir() && strings.HasSuffix(p, ".gpg") {
					rel, _ := filepath.Rel(prefix, p)
					names = append(names, strings.TrimSuffix(rel, ".gpg"))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return names
		},
		stored: func(t *testing.T) { requireFile(t, filepath.Join(prefix, "alice.gpg")) },
	}
}

// ---- keyctl ----

func prepareKeyctl(t *testing.T, s *sandbox) ringFixture {
	if err := probeKeyctl(t); err != nil {
		t.Skipf("the kernel keyring is not usable here: %v", err)
	}
	// The user keyring is the real one of this uid: use a keyring of our
	// own in it and unlink it afterwards.
	name := "alirole-e2e-" + randomHex(t, 6)
	t.Cleanup(func() {
		if err := unlinkKeyctlRing(name); err != nil {
			t.Errorf("unlink test keyring %s: %v", name, err)
		}
	})
	return ringFixture{
		flags: []string{"--backend", "keyctl", "--keyring-name", name},
		items: func(t *testing.T) []string { return keyctlItems(t, name) },
	}
}

// ---- secret-service ----

const (
	secretsDest = "org.freedesktop.secrets"
	secretsPath = dbus.ObjectPath("/org/freedesktop/secrets")
)

// secretClient talks to the Secret Service directly, to prepare the
// collection and to see what alirole stored.
type secretClient struct {
	conn    *dbus.Conn
	session dbus.ObjectPath
}

// dbusSecret is the Secret Service's (oayays) secret struct.
type dbusSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

func (c *secretClient) call(t *testing.T, path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.conn.Object(secretsDest, path).CallWithContext(ctx, method, 0, args...)
}

func (c *secretClient) property(t *testing.T, path dbus.ObjectPath, iface, name string, v any) {
	t.Helper()
	var variant dbus.Variant
	if err := c.call(t, path, "org.freedesktop.DBus.Properties.Get", iface, name).Store(&variant); err != nil {
		t.Fatalf("read %s.%s of %s: %v", iface, name, path, err)
	}
	if err := dbus.Store([]any{variant.Value()}, v); err != nil {
		t.Fatalf("decode %s.%s: %v", iface, name, err)
	}
}

func dialSecretService(t *testing.T, addr string) *secretClient {
	t.Helper()
	done := make(chan error, 1)
	var conn *dbus.Conn
	go func() {
		var err error
		if conn, err = dbus.Dial(addr); err == nil {
			if err = conn.Auth(nil); err == nil {
				err = conn.Hello()
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s is set but the session bus %s is not usable: %v", secretServiceEnv, addr, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the session bus %s did not answer", addr)
	}
	t.Cleanup(func() { conn.Close() })
	c := &secretClient{conn: conn}
	var out dbus.Variant
	if err := c.call(t, secretsPath, "org.freedesktop.Secret.Service.OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &c.session); err != nil {
		t.Fatalf("no Secret Service on the bus: %v", err)
	}
	return c
}

// createCollection makes a collection with a known password through
// GNOME Keyring's own interface: the standard CreateCollection needs a
// password prompt, which cannot be shown without a desktop session.
func (c *secretClient) createCollection(t *testing.T, label string) dbus.ObjectPath {
	t.Helper()
	props := map[string]dbus.Variant{"org.freedesktop.Secret.Collection.Label": dbus.MakeVariant(label)}
	master := dbusSecret{Session: c.session, Parameters: []byte{}, Value: []byte(randomHex(t, 16)), ContentType: "text/plain"}
	var path dbus.ObjectPath
	err := c.call(t, secretsPath, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.CreateWithMasterPassword", props, master).Store(&path)
	if err != nil {
		t.Fatalf("create collection %s: %v", label, err)
	}
	t.Cleanup(func() {
		var prompt dbus.ObjectPath
		if err := c.call(t, path, "org.freedesktop.Secret.Collection.Delete").Store(&prompt); err != nil {
			t.Errorf("delete collection %s: %v", path, err)
		}
	})
	return path
}

func (c *secretClient) labels(t *testing.T, coll dbus.ObjectPath) []string {
	t.Helper()
	var items []dbus.ObjectPath
	c.property(t, coll, "org.freedesktop.Secret.Collection", "Items", &items)
	var names []string
	for _, it := range items {
		var label string
		c.property(t, it, "org.freedesktop.Secret.Item", "Label", &label)
		names = append(names, label)
	}
	return names
}

// keyringDir is where GNOME Keyring keeps its collections on disk.
func keyringDir() string {
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		data = filepath.Join(os.Getenv("HOME"), ".local", "share")
	}
	return filepath.Join(data, "keyrings")
}

func prepareSecretService(t *testing.T, s *sandbox) ringFixture {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if os.Getenv(secretServiceEnv) == "" || addr == "" {
		t.Skip("no throwaway Secret Service (scripts/keyring-suite provides one)")
	}
	c := dialSecretService(t, addr)
	// A collection of our own, named the way users may name theirs
	// (--keyring-name): the library must find it again by that name.
	name := "alirole-e2e-" + randomHex(t, 6)
	coll := c.createCollection(t, name)
	s.env = append(s.env, "DBUS_SESSION_BUS_ADDRESS="+addr)
	dir := keyringDir()
	file := filepath.Join(dir, name+".keyring")
	empty, err := os.Stat(file)
	if err != nil {
		t.Fatalf("GNOME Keyring keeps its collections elsewhere than %s: %v", dir, err)
	}
	return ringFixture{
		flags:  []string{"--backend", "secret-service", "--keyring-name", name},
		items:  func(t *testing.T) []string { return c.labels(t, coll) },
		atRest: []string{dir},
		stored: func(t *testing.T) {
			if st, err := os.Stat(file); err != nil || st.Size() <= empty.Size() {
				t.Fatalf("the items should be saved in %s: %v", file, err)
			}
		},
	}
}

// TestKeyringUnavailable: a backend that cannot work here fails at once
// with an error naming it and saying how to choose another, never a hang.
func TestKeyringUnavailable(t *testing.T) {
	dead := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a socket file nobody listens on: a bus daemon that died
	emptyPath := t.TempDir()

	type check struct {
		name  string
		setup func(t *testing.T, s *sandbox) (env, flags []string)
		want  []string
	}
	checks := []check{
		{"secret-service/no-bus", func(t *testing.T, s *sandbox) ([]string, []string) {
			return nil, []string{"--backend", "secret-service"}
		}, []string{"secret-service", "DBUS_SESSION_BUS_ADDRESS is not set", "--backend"}},
		{"secret-service/dead-socket", func(t *testing.T, s *sandbox) ([]string, []string) {
			return []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + dead}, []string{"--backend", "secret-service"}
		}, []string{"secret-service", "cannot reach the D-Bus session bus", "--backend"}},
		{"pass/not-installed", func(t *testing.T, s *sandbox) ([]string, []string) {
			return []string{"PATH=" + emptyPath}, []string{"--backend", "pass", "--pass-dir", s.path("store")}
		}, []string{"pass", `"pass" program is not installed`, "--backend"}},
		{"pass/not-initialised", func(t *testing.T, s *sandbox) ([]string, []string) {
			needTools(t, "pass")
			return nil, []string{"--backend", "pass", "--pass-dir", s.path("store")}
		}, []string{"pass", "not initialised (run: pass init", "--backend"}},
		{"secret-service/missing-collection", func(t *testing.T, s *sandbox) ([]string, []string) {
			// Creating a collection makes GNOME Keyring prompt for its
			// password; headless, the prompt cannot be shown.
			addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
			if os.Getenv(secretServiceEnv) == "" || addr == "" || os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "" {
				t.Skip("needs the headless throwaway Secret Service of scripts/keyring-suite")
			}
			return []string{"DBUS_SESSION_BUS_ADDRESS=" + addr}, []string{"--backend", "secret-service", "--keyring-name", "alirole-e2e-missing-" + randomHex(t, 6)}
		}, []string{"secret-service", "collection", "--keyring-name"}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t, nil, "")
			s.writeConfig(chainConfig)
			env, flags := c.setup(t, s)
			start := time.Now()
			r := s.run(append(env, "ALIBABA_CLOUD_ACCESS_KEY_ID="+aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+aliceSecret),
				append(flags, "add", "--env", "alice")...)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			if r.code == 0 {
				t.Fatalf("add should fail: %s", r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, aliceSecret) || strings.Contains(r.stderr, "panic") {
				t.Errorf("stderr leaks the secret or a panic:\n%s", r.stderr)
			}
		})
	}
}

// ---- kernel keyring session cache ----

// TestKeyringKeyctlSessionCache: with --session-cache keyctl the file
// backend keeps the AccessKey in its encrypted file and the sessions in
// the kernel keyring, so a cache hit needs no passphrase and no session
// ever reaches the disk; clear empties the kernel keyring again.
func TestKeyringKeyctlSessionCache(t *testing.T) {
	if err := probeKeyctl(t); err != nil {
		t.Skipf("the kernel keyring is not usable here: %v", err)
	}
	s, emu := ready(t)
	name := keychain.SessionCacheName(keychain.Options{Backend: "file", FileDir: s.path("keys")})
	t.Cleanup(func() { _ = unlinkKeyctlRing(name) })
	cache := "ALIROLE_SESSION_CACHE=keyctl"
	noPassphrase := "ALIROLE_FILE_PASSPHRASE="

	cold := s.run([]string{cache}, "export", "--format", "external", "prod")
	if cold.code != 0 {
		t.Fatalf("cold export: %s", cold)
	}
	if got := counts(emu); got != [3]int{1, 1, 0} {
		t.Fatalf("AssumeRole calls after the cold export = %v, want admin and prod once", got)
	}
	if items := keyctlItems(t, name); len(items) != 2 {
		t.Errorf("kernel keyring %s holds %q, want the admin and prod sessions", name, items)
	}
	files, err := os.ReadDir(s.path("keys"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasPrefix(f.Name(), "session") {
			t.Errorf("session written to disk: %s", f.Name())
		}
	}

	// Without the passphrase: served from the kernel keyring.
	hit := s.run([]string{cache, noPassphrase}, "export", "--format", "external", "prod")
	if hit.code != 0 {
		t.Fatalf("cache hit without a passphrase: %s", hit)
	}
	if parseExternal(t, hit.stdout).AccessKeyID != parseExternal(t, cold.stdout).AccessKeyID {
		t.Error("the cache hit returned another session")
	}
	if got := counts(emu); got != [3]int{1, 1, 0} {
		t.Errorf("AssumeRole calls after the hit = %v, want none new", got)
	}
	if out := s.run([]string{cache, noPassphrase}, "list").stdout; !strings.Contains(out, "left") {
		t.Errorf("list does not show the cached sessions:\n%s", out)
	}

	// The default cache does not see them; clear removes them.
	if r := s.run([]string{noPassphrase}, "export", "prod"); r.code == 0 {
		t.Errorf("the keyring cache served a session it never stored: %s", r)
	}
	s.ok("clear")
	if items := keyctlItems(t, name); len(items) != 0 {
		t.Errorf("clear left %q in the kernel keyring", items)
	}
	r := s.run([]string{cache, noPassphrase}, "export", "prod")
	if r.code == 0 || !strings.Contains(r.stderr, "passphrase") {
		t.Errorf("after clear, a run without the passphrase must need the AccessKey: %s", r)
	}
}
