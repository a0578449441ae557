package shellenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestDotenvSourcedByPOSIXShells: `set -a; . file.env` in bash and dash
// never runs code from a crafted value, and reads every value without a
// newline or carriage return back exactly (those come back as \n and \r
// literally: sh has no escape for them inside double quotes).
func TestDotenvSourcedByPOSIXShells(t *testing.T) {
	for _, sh := range []string{"bash", "dash"} {
		t.Run(sh, func(t *testing.T) {
			path := requireShell(t, sh)
			dir := t.TempDir()
			canary := filepath.Join(dir, "pwned")
			crafted := []string{
				"`touch " + canary + "`",
				"$(touch " + canary + ")",
				"${X:-$(touch " + canary + ")}",
				"\\`touch " + canary + "\\`",
				"\\$(touch " + canary + ")",
				`"; touch ` + canary + `; "`,
				`'; touch ` + canary + `; '`,
				`\"$(touch ` + canary + `)\"`,
				"a\n`touch " + canary + "`\n",
				"$((1+1))`touch " + canary + "`",
				"\\",
				"'",
			}
			values := append(append([]string{}, nastyValues...), crafted...)
			var vars []Var
			for i, v := range values {
				if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
					continue
				}
				vars = append(vars, Var{fmt.Sprintf("DOTENV_%d", i), v})
			}
			var names []string
			for _, v := range vars {
				names = append(names, `"$`+v.Name+`"`)
			}
			file := writeScript(t, FormatDotenv, vars, "creds.env")
			script := `set -a; . "$1"; set +a; printf '%s\0' ` + strings.Join(names, " ")
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
			out := runShell(t, []string{path, "-c", script, sh, file}, env)
			if _, err := os.Stat(canary); err == nil {
				t.Fatalf("%s ran code from a dotenv value", sh)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			if len(got) != len(vars) {
				t.Fatalf("read back %d values, want %d", len(got), len(vars))
			}
			for i, v := range vars {
				want := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(v.Value)
				if got[i] != want {
					t.Errorf("%s read %q, want %q", sh, got[i], want)
				}
			}
		})
	}
}

// FuzzDotenvSourced sources one dotenv line in dash with `set -a; .` and
// requires the value back unchanged (newlines and carriage returns read
// as \n and \r): any expansion or command substitution would change it.
// Plain `go test` runs only the seeds; scripts/fuzz explores.
func FuzzDotenvSourced(f *testing.F) {
	for _, seed := range []string{"", "`id`", "$(id)", "${HOME}", `\`, `\"`, "'", "a\nb", "\\`", "$((1))"} {
		f.Add(seed)
	}
	dash, err := exec.LookPath("dash")
	if err != nil {
		f.Skip("dash not installed")
	}
	f.Fuzz(func(t *testing.T, value string) {
		if strings.IndexByte(value, 0) >= 0 || !utf8.ValidString(value) {
			t.Skip("not a dotenv value")
		}
		file := writeScript(t, FormatDotenv, []Var{{"FUZZ_V", value}}, "f.env")
		out := runShell(t, []string{dash, "-c", `set -a; . "$1"; printf %s "$FUZZ_V"`, "dash", file}, []string{"PATH=/usr/bin:/bin"})
		if want := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(value); string(out) != want {
			t.Fatalf("dash read %q, want %q", out, want)
		}
	})
}
