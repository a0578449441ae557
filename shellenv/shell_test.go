package shellenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alirole/alirole/internal/testkit"
)

// nastyValues are the byte strings every shell format must reproduce exactly.
var nastyValues = []string{
	"",
	"plain",
	"it's",
	"''",
	"'",
	`"double"`,
	"a b  c ",
	" leading space",
	"$HOME",
	"${HOME}",
	"$(echo pwned)",
	"`id`",
	`\`,
	`\\`,
	`back\slash\n`,
	`a'b"c\d$e` + "`f",
	"line1\nline2",
	"\n\ntrailing newlines\n\n",
	"tab\there\t",
	"cr\r\nlf",
	"ünïcødé ✓ 日本語 🚀",
	"‘’‚‛ typographic quotes",
	"!",
	"!!",
	"*",
	"?[a]*",
	"~",
	"-n",
	"-e",
	"--",
	"--help",
	"#not a comment",
	"; echo injected; #",
	"a && b || c | d > e < f",
	"%s%d%%",
	"\x01\x1b[31m\x7f",
	"\xff\xfe invalid utf-8 \xc3",
	"STS.NUgYrLnoC37mZZCNnAbez2ZmH==", // a realistic value
}

const roundTripVar = "ALIROLE_RT"

// runShell runs argv with a fixed environment and returns stdout.
func runShell(t *testing.T, argv []string, env []string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstderr: %s", argv[0], err, stderr.String())
	}
	return stdout.Bytes()
}

func writeScript(t *testing.T, f Format, vars []Var, name string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, vars); err != nil {
		t.Fatalf("Write: %v", err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// posixRoundTrip evals the env-format line in shell and reads the value back
// twice: from the shell variable, and from a child process to prove it was
// exported.
func posixRoundTrip(t *testing.T, shell, value string) {
	t.Helper()
	file := writeScript(t, FormatEnv, []Var{{roundTripVar, value}}, "vars.sh")
	script := `eval "$(cat "$1")"; printf %s "$` + roundTripVar + `"; printf '\0'; exec /bin/sh -c 'printf %s "$` + roundTripVar + `"'`
	out := runShell(t, []string{shell, "-c", script, "sh", file}, []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent-home"})
	want := value + "\x00" + value
	if string(out) != want {
		t.Fatalf("%s round trip of %q:\n got %q\nwant %q", shell, value, out, want)
	}
}

func requireShell(t *testing.T, name string) string {
	t.Helper()
	return testkit.LookPath(t, name, name)
}

func TestRoundTripPOSIX(t *testing.T) {
	for _, sh := range []string{"bash", "dash"} {
		t.Run(sh, func(t *testing.T) {
			path := requireShell(t, sh)
			for _, v := range nastyValues {
				posixRoundTrip(t, path, v)
			}
		})
	}
}

func TestRoundTripPOSIXManyVarsAndUnset(t *testing.T) {
	bash := requireShell(t, "bash")
	vars := Vars(stsCreds, Options{Region: "cn-hangzhou", Profile: "it's $prod"})
	for i, v := range nastyValues {
		vars = append(vars, Var{fmt.Sprintf("NASTY_%d", i), v})
	}
	setFile := writeScript(t, FormatEnv, vars, "set.sh")

	// Every variable, read back by a child process, NUL-separated.
	var names []string
	for _, v := range vars {
		names = append(names, v.Name)
	}
	dump := `for n in ` + strings.Join(names, " ") + `; do eval "printf '%s\0' \"\$$n\""; done`
	env := []string{"PATH=" + os.Getenv("PATH")}
	out := runShell(t, []string{bash, "-c", `eval "$(cat "$1")"; exec bash -c "$2"`, "bash", setFile, dump}, env)
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(vars) {
		t.Fatalf("read back %d values, want %d", len(got), len(vars))
	}
	for i, v := range vars {
		if got[i] != v.Value {
			t.Errorf("%s = %q, want %q", v.Name, got[i], v.Value)
		}
	}

	// --unset clears every managed name, in the shell and for children.
	var unset bytes.Buffer
	if err := WriteUnset(&unset, FormatEnv, ManagedNames()); err != nil {
		t.Fatal(err)
	}
	unsetFile := filepath.Join(t.TempDir(), "unset.sh")
	if err := os.WriteFile(unsetFile, unset.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	check := `eval "$(cat "$1")"; eval "$(cat "$2")"; for n in ` + strings.Join(ManagedNames(), " ") +
		`; do eval "[ -n \"\${$n+set}\" ]" && echo "still set: $n"; done; exec env`
	out = runShell(t, []string{bash, "-c", check, "bash", setFile, unsetFile}, env)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "still set:") {
			t.Error(line)
		}
		for _, n := range ManagedNames() {
			if strings.HasPrefix(line, n+"=") {
				t.Errorf("child still sees %s after unset", n)
			}
		}
	}
	if !strings.Contains(string(out), "NASTY_1=plain") {
		t.Error("unset removed an unrelated variable")
	}
}

func TestRoundTripFish(t *testing.T) {
	fish := requireShell(t, "fish")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	for _, v := range nastyValues {
		file := writeScript(t, FormatFish, []Var{{roundTripVar, v}}, "vars.fish")
		script := `source $argv[1]; printf %s "$` + roundTripVar + `"; printf '\0'; exec /bin/sh -c 'printf %s "$` + roundTripVar + `"'`
		out := runShell(t, []string{fish, "--no-config", "-c", script, file}, env)
		if want := v + "\x00" + v; string(out) != want {
			t.Errorf("fish round trip of %q:\n got %q\nwant %q", v, out, want)
		}
	}

	var unset bytes.Buffer
	if err := WriteUnset(&unset, FormatFish, []string{roundTripVar}); err != nil {
		t.Fatal(err)
	}
	set := writeScript(t, FormatFish, []Var{{roundTripVar, "x"}}, "set.fish")
	unsetFile := filepath.Join(t.TempDir(), "unset.fish")
	if err := os.WriteFile(unsetFile, unset.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runShell(t, []string{fish, "--no-config", "-c", `source $argv[1]; source $argv[2]; set -q ` + roundTripVar + `; and echo still set; true`, set, unsetFile}, env)
	if len(out) != 0 {
		t.Errorf("fish unset: %q", out)
	}
}

func TestRoundTripPowerShell(t *testing.T) {
	pwsh, err := exec.LookPath("pwsh")
	if err != nil {
		// TestWriteFormats and TestWriteUnset still check the exact output.
		testkit.Unsupported(t, "pwsh", "PowerShell is not installed (Debian does not package it; README, Development)")
	}
	testkit.Uses(t, "pwsh")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "POWERSHELL_TELEMETRY_OPTOUT=1"}
	// Build one script for all values: pwsh starts slowly.
	var vars []Var
	for i, v := range nastyValues {
		if v == "" || !utf8.ValidString(v) {
			continue // empty removes the variable; PowerShell text is Unicode
		}
		vars = append(vars, Var{fmt.Sprintf("NASTY_%d", i), v})
	}
	file := writeScript(t, FormatPowerShell, vars, "vars.ps1")
	var names []string
	for _, v := range vars {
		names = append(names, "'"+v.Name+"'")
	}
	cmd := `[Console]::OutputEncoding = [Text.UTF8Encoding]::new($false); . '` + file + `'; foreach ($n in @(` +
		strings.Join(names, ",") + `)) { [Console]::Out.Write([Environment]::GetEnvironmentVariable($n)); [Console]::Out.Write([char]0) }`
	out := runShell(t, []string{pwsh, "-NoProfile", "-NonInteractive", "-Command", cmd}, env)
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(vars) {
		t.Fatalf("read back %d values, want %d: %q", len(got), len(vars), out)
	}
	for i, v := range vars {
		if got[i] != v.Value {
			t.Errorf("%s = %q, want %q", v.Name, got[i], v.Value)
		}
	}
}

// TestDotenvPythonDotenv reads our dotenv output with every python-dotenv
// found (Debian's python3-dotenv, installed by .ci/run, and the one of the
// python3 on PATH). Double-quoted values with '$' or '`', and values ending
// in a backslash, are left out: python-dotenv does not decode \$ or \` and
// takes `\\"` for an escaped quote (see quoteDotenv). Interpolation is off
// for the exact round trip; with it on, only values holding "${" may change.
func TestDotenvPythonDotenv(t *testing.T) {
	var pythons []string
	seen := map[string]bool{}
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(p)
		if err != nil || seen[path] || exec.Command(path, "-c", "import dotenv").Run() != nil {
			continue
		}
		seen[path] = true
		pythons = append(pythons, path)
	}
	if len(pythons) == 0 {
		testkit.Missing(t, "python-dotenv", "no python3 can import dotenv (Debian: python3-dotenv)")
	}
	testkit.Uses(t, "python-dotenv")
	var vars []Var
	for i, v := range nastyValues {
		if !dotenvSingleQuotable(v) && strings.ContainsAny(v, "$`") || strings.HasSuffix(v, `\`) || !utf8.ValidString(v) {
			continue
		}
		vars = append(vars, Var{fmt.Sprintf("NASTY_%d", i), v})
	}
	file := writeScript(t, FormatDotenv, vars, ".env")
	for _, python := range pythons {
		for _, interpolate := range []string{"False", "True"} {
			env := []string{"PATH=" + os.Getenv("PATH"), "PYTHONIOENCODING=utf-8", "HOME=/nonexistent"}
			script := `import sys, dotenv
for k, v in dotenv.dotenv_values(sys.argv[1], interpolate=` + interpolate + `).items():
    sys.stdout.buffer.write(k.encode() + b"\0" + v.encode() + b"\0")`
			out := runShell(t, []string{python, "-c", script, file}, env)
			fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			if len(fields) != 2*len(vars) {
				t.Fatalf("%s: python-dotenv read %d fields, want %d: %q", python, len(fields), 2*len(vars), out)
			}
			for i, v := range vars {
				if interpolate == "True" && strings.Contains(v.Value, "${") {
					continue
				}
				if fields[2*i] != v.Name || fields[2*i+1] != v.Value {
					t.Errorf("%s (interpolate=%s): python-dotenv read %s=%q, want %s=%q", python, interpolate, fields[2*i], fields[2*i+1], v.Name, v.Value)
				}
			}
		}
	}
}
