package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/alirole/alirole/internal/stsemu"

	"github.com/alirole/alirole/internal/testkit"
)

// TestGeneratedDocsAreCurrent keeps docs/ true to the CLI definition.
func TestGeneratedDocsAreCurrent(t *testing.T) {
	for format, file := range map[string]string{"man": "../docs/alirole.1", "markdown": "../docs/commands.md"} {
		want, err := exec.Command(gendocsPath, format).Output()
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is stale: run scripts/gen-docs", strings.TrimPrefix(file, "../"))
		}
	}
}

// TestBashCompletion loads the completion script into bash and asks it
// for candidates the way the shell does on <TAB>.
func TestBashCompletion(t *testing.T) {
	s := newSandbox(t, nil, "")
	s.writeConfig(chainConfig)
	script := s.ok("completion", "bash").stdout
	binDir := filepath.Dir(binPath)
	complete := func(words ...string) string {
		t.Helper()
		cmd := exec.Command("bash", "-c", script+`
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _alirole; printf '%s\n' "${COMPREPLY[@]}"`, "bash")
		cmd.Args = append(cmd.Args, words...)
		cmd.Env = append(append([]string{}, s.env...), "PATH="+binDir+":"+os.Getenv("PATH"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash completion %v: %v", words, err)
		}
		return string(out)
	}
	if got := complete("alirole", "ex"); got != "exec\nexport\n" {
		t.Errorf("commands: %q", got)
	}
	if got := complete("alirole", "exec", "a"); got != "admin\nalice\naudit\n" {
		t.Errorf("profiles: %q", got)
	}
	if got := complete("alirole", "export", "--for"); !strings.Contains(got, "--format") {
		t.Errorf("flags: %q", got)
	}
}

func TestFishCompletion(t *testing.T) {
	fish := testkit.LookPath(t, "fish", "fish")
	s := newSandbox(t, nil, "")
	s.writeConfig(chainConfig)
	cmd := exec.Command(fish, "-c", `alirole completion fish | source; complete -C "alirole exec "`)
	cmd.Env = append(append([]string{}, s.env...), "PATH="+filepath.Dir(binPath)+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^prod$`).Match(out) {
		t.Fatalf("fish completion: %v\n%s", err, out)
	}
}

// ---- the README's and docs/' own examples ----

// docBlock is one fenced code block of a Markdown file.
type docBlock struct {
	file string
	line int    // of the opening fence
	lang string // info string's first word
	text string
	// skip is the reason given by a "<!-- docs-test: not runnable: REASON -->"
	// line right before the fence, or "".
	skip string
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d (```%s)", b.file, b.line, b.lang) }

const notRunnableMarker = "<!-- docs-test: not runnable:"

// docBlocks returns the fenced blocks of README.md and docs/*.md.
func docBlocks(t *testing.T) []docBlock {
	t.Helper()
	files, _ := filepath.Glob("../docs/*.md")
	files = append([]string{"../README.md"}, files...)
	var blocks []docBlock
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for i := 0; i < len(lines); i++ {
			fence := strings.TrimSpace(lines[i])
			if !strings.HasPrefix(fence, "```") {
				continue
			}
			b := docBlock{file: strings.TrimPrefix(f, "../"), line: i + 1, lang: strings.Fields(fence + " x")[0][3:]}
			if b.lang == "x" {
				b.lang = ""
			}
			if i > 0 {
				if prev := strings.TrimSpace(lines[i-1]); strings.HasPrefix(prev, notRunnableMarker) {
					b.skip = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(prev, notRunnableMarker), "-->"))
				}
			}
			var body []string
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
				body = append(body, lines[i])
			}
			b.text = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, b)
		}
	}
	return blocks
}

// The README's accounts: user "me" → admin → deployer (another account) →
// auditor (ExternalId), plus the users its other examples name.
const (
	docsAcct, docsProdAcct = "1234567890123456", "6543210987654321"
	docsPolicy             = `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`
)

var docsUsers = map[string][2]string{
	"me":       {"LTAI5tDocsMeKey000000001", "DocsMeSecret0123456789abcdefgh"},
	"dev-user": {"LTAI5tDocsDevUserKey0001", "DocsDevUserSecret0123456789abc"},
	"ci":       {"LTAI5tDocsCIKey000000001", "DocsCISecret0123456789abcdefgh"},
}

func docsWorld() *stsemu.World {
	var users []stsemu.User
	for name, k := range docsUsers {
		users = append(users, stsemu.User{Name: name, AccessKeys: []stsemu.AccessKey{{ID: k[0], Secret: k[1]}}})
	}
	admin := stsemu.RoleARN(docsAcct, "admin")
	deployer := stsemu.RoleARN(docsProdAcct, "deployer")
	return &stsemu.World{Accounts: []stsemu.Account{
		{ID: docsAcct, Users: users, Roles: []stsemu.Role{
			{Name: "admin", MaxSessionDuration: 7200, Trust: []stsemu.Trust{{Principal: stsemu.UserARN(docsAcct, "me")}, {Principal: stsemu.UserARN(docsAcct, "dev-user")}}},
		}},
		{ID: docsProdAcct, Roles: []stsemu.Role{
			{Name: "deployer", Trust: []stsemu.Trust{{Principal: admin}, {Principal: stsemu.UserARN(docsAcct, "ci")}}},
			{Name: "auditor", Trust: []stsemu.Trust{{Principal: deployer, ExternalID: "audit-2026"}}},
		}},
	}}
}

// TestDocsExamples runs every ```ini and ```sh block of README.md and
// docs/*.md as a new user would: ini blocks must load without an error or a
// warning, sh blocks must run (bash -e, on a terminal, answering add's
// prompts) against the emulator. A block that cannot run here carries a
// visible reason in the Markdown source.
func TestDocsExamples(t *testing.T) {
	var iniConfig string
	blocks := docBlocks(t)
	for _, b := range blocks {
		if b.lang == "ini" && iniConfig == "" {
			iniConfig = b.text
		}
	}
	if iniConfig == "" {
		t.Fatal("README.md has no ```ini sample config")
	}
	ran := 0
	for _, b := range blocks {
		if b.lang != "ini" && b.lang != "sh" {
			continue
		}
		if b.skip != "" {
			t.Logf("%s: not run: %s", b, b.skip)
			continue
		}
		ran++
		t.Run(fmt.Sprintf("%s:%d", b.file, b.line), func(t *testing.T) {
			if b.lang == "ini" {
				checkDocsINI(t, b)
			} else {
				runDocsSh(t, b, iniConfig)
			}
		})
	}
	if ran < 5 {
		t.Errorf("only %d blocks ran; the extraction is broken", ran)
	}
}

// docsSandbox is a user who has read the README: its sample config, with
// the policy file it names, the profiles the other examples use, and the
// emulator standing in for STS, RAM and the sign-in service.
func docsSandbox(t *testing.T, iniConfig string) (*sandbox, *stsemu.Server) {
	emu, ca := newEmulatorWith(t, docsWorld())
	s := newSandbox(t, emu, ca)
	s.writeConfig(iniConfig + "\n[profile ci]\n\n[profile deploy]\nsource_profile = ci\nram_role_arn = acs:ram::" + docsProdAcct + ":role/deployer\n")
	writeDocsFile(t, s.path("policies/read-only.json"), docsPolicy, 0o600)
	k := docsUsers["me"]
	if r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + k[0], "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + k[1]}, "add", "--env", "me"); r.code != 0 {
		t.Fatalf("add me: %s", r)
	}
	// Stand-ins for the programs the examples hand credentials to: each
	// checks that it got an STS session the way that program reads it.
	bin := s.path("stubs")
	writeDocsFile(t, filepath.Join(bin, "terraform"), `#!/bin/sh
if [ -n "$ALICLOUD_CREDENTIALS_URI" ]; then
	curl -sf "$ALICLOUD_CREDENTIALS_URI" | grep -q '"SecurityToken"' || { echo "terraform stub: credentials URI does not answer" >&2; exit 1; }
else
	case "$ALICLOUD_ACCESS_KEY" in STS.*) ;; *) echo "terraform stub: no STS AccessKey" >&2; exit 1 ;; esac
	[ -n "$ALICLOUD_SECURITY_TOKEN" ] || { echo "terraform stub: no security token" >&2; exit 1; }
fi
echo "terraform stub: $*"
`, 0o700)
	writeDocsFile(t, filepath.Join(bin, "browser"), "#!/bin/sh\ncase \"$1\" in https://*) echo \"browser stub opened a sign-in URL\" ;; *) exit 1 ;; esac\n", 0o700)
	// Under exec --server a program gets a credentials URI, else keys.
	writeDocsFile(t, s.path("deploy.sh"), `#!/bin/sh
if [ -n "$ALIBABA_CLOUD_CREDENTIALS_URI" ]; then
	curl -sf "$ALIBABA_CLOUD_CREDENTIALS_URI" | grep -q '"SecurityToken"' || exit 1
else
	case "$ALIBABA_CLOUD_ACCESS_KEY_ID" in STS.*) ;; *) exit 1 ;; esac
fi
echo deployed
`, 0o700)
	// What `alirole import` finds: a plaintext aliyun CLI profile.
	dk := docsUsers["dev-user"]
	writeDocsFile(t, s.path("home/.aliyun/config.json"), `{"current":"legacy","profiles":[{"name":"legacy","mode":"AK","access_key_id":"`+dk[0]+`","access_key_secret":"`+dk[1]+`","region_id":"cn-hangzhou"}]}`, 0o600)
	ck := docsUsers["ci"]
	s.env = append(s.env,
		"PATH="+filepath.Dir(binPath)+":"+bin+":"+os.Getenv("PATH"),
		"BROWSER="+filepath.Join(bin, "browser")+" %s",
		"ALIROLE_RAM_ENDPOINT="+emu.Endpoint(),
		"ALIROLE_SIGNIN_URL=https://"+emu.Endpoint()+"/federation",
		"KEYCHAIN_PASSPHRASE="+passphrase,
		"ALIBABA_CLOUD_ACCESS_KEY_ID="+ck[0], "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+ck[1],
	)
	return s, emu
}

func writeDocsFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func checkDocsINI(t *testing.T, b docBlock) {
	s := newSandbox(t, nil, "")
	s.writeConfig(b.text)
	writeDocsFile(t, s.path("policies/read-only.json"), docsPolicy, 0o600)
	r := s.run(nil, "list", "--profiles")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("%s does not load cleanly:\n%s\n%s", b, b.text, r)
	}
}

// runDocsSh runs the block with bash -e on a pseudo-terminal, typing
// dev-user's key into add's prompts, and fails on any error alirole prints.
func runDocsSh(t *testing.T, b docBlock, iniConfig string) {
	s, _ := docsSandbox(t, iniConfig)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", b.text)
	cmd.Dir = s.dir
	// The sandbox sets PATH first; later entries win in exec's environment.
	cmd.Env = s.env
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	screen := &lockedBuffer{}
	done := make(chan struct{})
	go func() { io.Copy(screen, tty); close(done) }()
	answered := 0
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	deadline := time.After(90 * time.Second)
	k := docsUsers["dev-user"]
	for {
		select {
		case err := <-waitErr:
			tty.Close()
			<-done
			out := screen.String()
			if err != nil {
				t.Fatalf("%s failed: %v\n--- block:\n%s--- terminal:\n%s", b, err, b.text, out)
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "alirole: ") && !strings.HasPrefix(l, "alirole: warning: ") {
					t.Errorf("%s: alirole reported an error: %s\n--- terminal:\n%s", b, l, out)
				}
			}
			return
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("%s did not finish:\n%s", b, screen.String())
		case <-time.After(20 * time.Millisecond):
			out := screen.String()
			if strings.Count(out, "AccessKey ID: ") > answered/2 && answered%2 == 0 {
				io.WriteString(tty, k[0]+"\r")
				answered++
			}
			if strings.Count(out, "AccessKey secret: ") > answered/2 && answered%2 == 1 {
				io.WriteString(tty, k[1]+"\r")
				answered++
			}
		}
	}
}

// TestCompletionInShells presses TAB in real interactive shells on a
// pseudo-terminal. Completion must offer commands, flags after the profile,
// global flags, flag values and shell names, and must never resolve: no
// passphrase prompt on the terminal, no call to STS.
func TestCompletionInShells(t *testing.T) {
	type shell struct {
		argv  []string
		setup string
	}
	shells := map[string]shell{
		"bash": {[]string{"bash", "--norc", "--noprofile", "-i"}, "source <(alirole completion bash)\n"},
		"zsh":  {[]string{"zsh", "-f", "-i"}, "autoload -Uz compinit && compinit -u -D && source <(alirole completion zsh)\n"},
		"fish": {[]string{"fish", "--no-config", "-i"}, "alirole completion fish | source\n"},
	}
	for _, name := range []string{"bash", "zsh", "fish"} {
		sh := shells[name]
		for _, withPassphrase := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/passphrase=%v", name, withPassphrase), func(t *testing.T) {
				testkit.LookPath(t, sh.argv[0], sh.argv[0])
				emu, ca := newEmulator(t)
				s := newSandbox(t, emu, ca)
				s.writeConfig(chainConfig)
				s.addAlice()
				env := append(append([]string{}, s.env...), "PATH="+filepath.Dir(binPath)+":"+os.Getenv("PATH"),
					"PS1=$ ", "TERM=xterm", "fish_greeting=")
				if !withPassphrase {
					// Without it, resolving would prompt for it on the terminal.
					env = append(env, "ALIROLE_FILE_PASSPHRASE=")
				}
				cmd := exec.Command(sh.argv[0], sh.argv[1:]...)
				cmd.Env, cmd.Dir = env, s.dir
				tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				defer tty.Close()
				screen := &lockedBuffer{}
				go io.Copy(screen, tty)
				io.WriteString(tty, sh.setup)
				synced := 0
				press := func(typed string, want ...string) {
					t.Helper()
					mark := len(screen.String())
					io.WriteString(tty, typed)
					deadline := time.Now().Add(15 * time.Second)
					for {
						shown := screen.String()[mark:]
						missing := ""
						for _, w := range want {
							if !strings.Contains(shown, w) {
								missing = w
							}
						}
						if missing == "" {
							break
						}
						if time.Now().After(deadline) {
							t.Errorf("%s: after typing %q, %q never appeared; terminal:\n%s", name, typed, missing, shown)
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
					// Abandon the line, then wait until the shell runs a
					// command again (the quotes keep the typed echo from
					// matching), so the next keys reach a fresh prompt.
					synced++
					io.WriteString(tty, "\x03")
					time.Sleep(200 * time.Millisecond)
					io.WriteString(tty, "\x15") // in case ^C only left a menu
					time.Sleep(100 * time.Millisecond)
					mark = len(screen.String())
					fmt.Fprintf(tty, "echo sy''nc%d\r", synced)
					for !strings.Contains(screen.String()[mark:], fmt.Sprintf("sync%d", synced)) {
						if time.Now().After(deadline.Add(10 * time.Second)) {
							t.Fatalf("%s does not answer; terminal:\n%s", name, screen.String()[mark:])
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
				press("echo rea''dy\r", "ready")
				press("alirole ex\t\t", "export")
				press("alirole exec pr\t", "alirole exec prod")
				press("alirole exec prod --\t\t", "--force-nested", "--no-cache", "--sts-timeout")
				press("alirole export prod --format \t\t", "external", "powershell")
				press("alirole --ba\t", "alirole --backend")
				press("alirole completion \t\t", "powershell", "zsh")
				shown := screen.String()
				if strings.Contains(strings.ToLower(shown), "passphrase") {
					t.Errorf("%s: completion prompted for the passphrase:\n%s", name, shown)
				}
				if calls := len(emu.Calls()); calls != 0 {
					t.Errorf("%s: completion made %d STS calls, want none", name, calls)
				}
			})
		}
	}
}

// TestDocsNameEveryVariable: every ALIROLE_* variable the code reads or
// sets (outside tests and bench/) is in the man page and the reference.
func TestDocsNameEveryVariable(t *testing.T) {
	man, err1 := os.ReadFile("../docs/alirole.1")
	md, err2 := os.ReadFile("../docs/commands.md")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	re := regexp.MustCompile(`"(ALIROLE_[A-Z_]+)"`)
	seen := map[string]bool{}
	filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// testkit's variables steer the test suite, not alirole.
		if d.IsDir() && (d.Name() == "e2e" || d.Name() == "bench" || d.Name() == "testkit" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = true
			if !strings.Contains(string(man), "\n\\fB"+strings.ReplaceAll(m[1], "-", `\-`)+"\\fR\n") || !strings.Contains(string(md), "**"+m[1]+"**") {
				t.Errorf("%s (used in %s) is not described in docs/ (ENVIRONMENT): add it to internal/gendocs and run scripts/gen-docs", m[1], path)
			}
		}
		return nil
	})
	if len(seen) < 10 {
		t.Errorf("found only %d variables: the scan is broken", len(seen))
	}
}

// TestReadmeNamesWhatProgramsSee: the README's "What programs see" list is
// exactly what exec sets (it once claimed an ALIBABACLOUD_REGION).
func TestReadmeNamesWhatProgramsSee(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "### What programs see")
	end := strings.Index(text[start+1:], "\n#")
	if start < 0 || end < 0 {
		t.Fatal("README has no \"What programs see\" section")
	}
	// The claim is the bulleted list (items and their indented
	// continuations); the prose around it names variables exec removes.
	var list strings.Builder
	for _, line := range strings.Split(text[start:start+1+end], "\n") {
		if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "  ") {
			list.WriteString(line + "\n")
		}
	}
	claimed := map[string]bool{}
	for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]*[A-Z0-9])(=[^`]*)?`").FindAllStringSubmatch(list.String(), -1) {
		claimed[m[1]] = true
	}
	if len(claimed) == 0 {
		t.Fatal("README's \"What programs see\" section lists no variables")
	}
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	inherited := map[string]bool{}
	for _, kv := range s.env {
		name, _, _ := strings.Cut(kv, "=")
		inherited[name] = true
	}
	set := map[string]bool{}
	for _, line := range strings.Split(s.ok("exec", "prod", "--", "env").stdout, "\n") {
		name, _, _ := strings.Cut(line, "=")
		if inherited[name] {
			continue // the sandbox's own, passed through
		}
		if strings.HasPrefix(name, "ALIBABA") || strings.HasPrefix(name, "ALICLOUD") || strings.HasPrefix(name, "ALIROLE") {
			set[name] = true
		}
	}
	for n := range claimed {
		if !set[n] {
			t.Errorf("README says exec sets %s; it does not", n)
		}
	}
	for n := range set {
		if !claimed[n] {
			t.Errorf("exec sets %s; README's \"What programs see\" does not say so", n)
		}
	}
}
