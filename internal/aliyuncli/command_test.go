package aliyuncli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/aliyun/credentials-go/credentials/providers"
)

const helperEnv = "ALIYUNCLI_TEST_HELPER"

// argSep joins the helper's argv into one credential field; it cannot occur
// in the test arguments.
const argSep = "\x1f"

// TestMain lets the test binary stand in for alirole: run with helperEnv=1
// it prints External-mode JSON whose secret is its own argv, so a test can
// see exactly how a process_command was split.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		out, _ := json.Marshal(map[string]string{
			"mode":              "StsToken",
			"access_key_id":     "STS.helper",
			"access_key_secret": strings.Join(os.Args[1:], argSep),
			"sts_token":         "helper-token",
			"expiration":        "2099-01-01T00:00:00Z",
		})
		fmt.Println(string(out))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fakeAlirole links the test binary into dir under the name alirole.
func fakeAlirole(t *testing.T, dir string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs symlinks")
	}
	// A race-enabled helper would otherwise sleep 1 s at exit.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "alirole")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	return link
}

func TestCLIProfileProviderRunsSetupProfile(t *testing.T) {
	t.Setenv(helperEnv, "1")
	t.Setenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "")
	alirole := fakeAlirole(t, filepath.Join(t.TempDir(), "bin"))
	path := writeConfig(t, cliConfig)
	f := mustLoad(t, path)
	cmd := ProcessCommand(alirole, "dev")
	if cmd != alirole+" export --format external dev" {
		t.Fatalf("ProcessCommand quoted a plain path: %q", cmd)
	}
	if _, err := f.SetExternal("default", cmd, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(path); err != nil {
		t.Fatal(err)
	}

	p, err := providers.NewCLIProfileCredentialsProviderBuilder().WithProfileFile(path).WithProfileName("default").Build()
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.GetCredentials()
	if err != nil {
		t.Fatalf("GetCredentials: %v", err)
	}
	wantArgs := strings.Join([]string{"export", "--format", "external", "dev"}, argSep)
	if c.AccessKeyId != "STS.helper" || c.AccessKeySecret != wantArgs || c.SecurityToken != "helper-token" {
		t.Fatalf("credentials = %q %q %q", c.AccessKeyId, c.AccessKeySecret, c.SecurityToken)
	}

	// The package doc's warning, checked: credentials-go wrote the result back
	// in plain text and rewrote the file from its own struct, dropping what it
	// does not model.
	after := string(mustRead(t, path))
	if !strings.Contains(after, `"sts_token": "helper-token"`) {
		t.Error("credentials-go no longer writes External credentials back; update the package doc")
	}
	if strings.Contains(after, "plugin_settings") || strings.Contains(after, "output_format") {
		t.Error("credentials-go now keeps fields it does not model; update the package doc")
	}
}

// TestQuotingThroughCredentialsGo hands credentials-go's own splitter a path
// and an argument full of characters that need quoting.
func TestQuotingThroughCredentialsGo(t *testing.T) {
	t.Setenv(helperEnv, "1")
	dir := filepath.Join(t.TempDir(), `dir with 'single' "double" \back $HOME`)
	alirole := fakeAlirole(t, dir)
	for _, profile := range []string{"plain", `we'ird "name" \ $x`, "tab\there", "ünï", "-dash"} {
		cmd := ProcessCommand(alirole, profile)
		p, err := providers.NewExternalCredentialsProviderBuilder().WithProcessCommand(cmd).Build()
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.GetCredentials()
		if err != nil {
			t.Fatalf("%q: GetCredentials: %v", cmd, err)
		}
		want := strings.Join([]string{"export", "--format", "external", profile}, argSep)
		if c.AccessKeySecret != want {
			t.Errorf("%q ran with argv %q, want %q", cmd, c.AccessKeySecret, want)
		}
	}
}

func TestJoinCommand(t *testing.T) {
	cases := []struct {
		goos string
		args []string
		want string
	}{
		{"linux", []string{"/usr/bin/alirole", "export", "dev"}, "/usr/bin/alirole export dev"},
		{"linux", []string{"/a b/alirole", "x"}, "'/a b/alirole' x"},
		{"linux", []string{"it's", ""}, `'it'\''s' ''`},
		{"linux", []string{`a\b`, `"q"`}, `'a\b' '"q"'`},
		{"darwin", []string{"/Applications/My Tools/alirole", "p"}, "'/Applications/My Tools/alirole' p"},
		{"windows", []string{`C:\tools\alirole.exe`, "p"}, `C:\tools\alirole.exe p`},
		{"windows", []string{`C:\Program Files\alirole\alirole.exe`, "p"}, `"C:\Program Files\alirole\alirole.exe" p`},
		{"windows", []string{`a "b"`, `c d\`, ""}, `"a \"b\"" "c d"\ ""`},
		{"windows", []string{`x\"y z`}, `"x\\"y z"`},
	}
	for _, tc := range cases {
		got := joinCommand(tc.goos, tc.args)
		if got != tc.want {
			t.Errorf("%s %q: got %s, want %s", tc.goos, tc.args, got, tc.want)
		}
		back, err := splitCommand(tc.goos, got)
		if err != nil || !reflect.DeepEqual(back, tc.args) {
			t.Errorf("%s: %s splits to %q (%v), want %q", tc.goos, got, back, err, tc.args)
		}
	}
}

func TestJoinSplitRoundTrip(t *testing.T) {
	args := []string{
		"/usr/local/bin/alirole", "", " ", "a b", "'", `"`, `\`, `\\`, `a\`, `\"`, `'\''`,
		"$HOME", "`x`", "tab\tnew\nline", "ünï cödé", `C:\Program Files\x\`, `\\server\share\`,
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		got, err := splitCommand(goos, joinCommand(goos, args))
		if err != nil || !reflect.DeepEqual(got, args) {
			t.Errorf("%s: round trip gave %q (%v)", goos, got, err)
		}
	}
	// Arguments that need no quoting come out unquoted, so the old aliyun
	// CLI's whitespace split (strings.Fields) reads the same argv.
	plain := []string{"/opt/alirole/bin/alirole", "export", "--format", "external", "team.prod-1", "$x&y"}
	for _, goos := range []string{"linux", "windows"} {
		if got := strings.Fields(joinCommand(goos, plain)); !reflect.DeepEqual(got, plain) {
			t.Errorf("%s: strings.Fields gave %q", goos, got)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	cases := []struct {
		goos, in string
		want     []string // nil: error expected
	}{
		{"linux", "  a   b\tc ", []string{"a", "b", "c"}},
		{"linux", `a "b c" 'd e'`, []string{"a", "b c", "d e"}},
		{"linux", `a"b"'c'`, []string{"abc"}},
		{"linux", `"a\"b\\c\$d\e"`, []string{`a"b\c$d\e`}},
		{"linux", `a\ b`, []string{"a b"}},
		{"linux", "a \\\nb", []string{"a", "b"}},
		{"linux", `'a\b'`, []string{`a\b`}},
		{"linux", `a ""`, []string{"a", ""}},
		{"linux", `a\`, nil},
		{"linux", `"a`, nil},
		{"linux", `''`, nil},
		{"linux", "   ", nil},
		{"windows", `C:\x\y.exe a\b`, []string{`C:\x\y.exe`, `a\b`}},
		{"windows", `"C:\Program Files\y.exe" "say \"hi\""`, []string{`C:\Program Files\y.exe`, `say "hi"`}},
		{"windows", `"a\\b"`, []string{`a\\b`}},
	}
	for _, tc := range cases {
		got, err := splitCommand(tc.goos, tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s %q: no error, got %q", tc.goos, tc.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %q = %q, %v; want %q", tc.goos, tc.in, got, err, tc.want)
		}
	}
}
