package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	if err != nil || !strings.Contains(string(out), "prod\tprofile") {
		t.Fatalf("fish completion: %v\n%s", err, out)
	}
}
