package commands

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

func TestReorderArgs(t *testing.T) {
	env := Env{}
	app := &cli.App{Flags: GlobalFlags(), Commands: []*cli.Command{Export(env), Exec(env), Dev(env)}}
	for _, tc := range []struct{ in, want []string }{
		{[]string{"alirole", "export", "prod", "--format", "json"}, []string{"alirole", "export", "--format", "json", "prod"}},
		{[]string{"alirole", "export", "prod", "--format=json", "--no-cache"}, []string{"alirole", "export", "--format=json", "--no-cache", "prod"}},
		{[]string{"alirole", "--debug", "--config", "c", "export", "prod", "-f", "env"}, []string{"alirole", "--debug", "--config", "c", "export", "-f", "env", "prod"}},
		// After "--", or once a command line has started, nothing moves.
		{[]string{"alirole", "exec", "prod", "--server", "--", "ls", "-la"}, []string{"alirole", "exec", "--server", "prod", "--", "ls", "-la"}},
		{[]string{"alirole", "exec", "prod", "ls", "-la", "--server"}, []string{"alirole", "exec", "prod", "ls", "-la", "--server"}},
		{[]string{"alirole", "dev", "sts-emulator", "--ca-file", "x"}, []string{"alirole", "dev", "sts-emulator", "--ca-file", "x"}},
		{[]string{"alirole", "unknown", "a", "--x"}, []string{"alirole", "unknown", "a", "--x"}},
		{[]string{"alirole"}, []string{"alirole"}},
		// Global flags after the command move before it.
		{[]string{"alirole", "export", "--debug", "prod", "--config", "c", "-f", "json"}, []string{"alirole", "--debug", "--config", "c", "export", "-f", "json", "prod"}},
		{[]string{"alirole", "dev", "sts-emulator", "--config", "w.json"}, []string{"alirole", "dev", "sts-emulator", "--config", "w.json"}},
	} {
		if got := ReorderArgs(app, tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ReorderArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	for d, want := range map[int64]string{-1: "expired", 0: "expired", 20e9: "<1m", 59 * 60e9: "59m", 61 * 60e9: "1h01m", 12 * 3600e9: "12h00m"} {
		if got := timeLeft(durationOf(d)); got != want {
			t.Errorf("timeLeft(%d) = %q, want %q", d, got, want)
		}
	}
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }

// Completion requests of every length are answered without running a
// command, and never panic ("alirole --generate-bash-completion" once did).
func TestCompletionRequests(t *testing.T) {
	for _, args := range [][]string{
		{"alirole", "--generate-bash-completion"},
		{"alirole", "", "--generate-bash-completion"},
		{"alirole", "exec", "prod", "--", "--generate-bash-completion"},
		{"alirole", "export", "--format", "", "--generate-bash-completion"},
	} {
		if !IsCompletion(args) {
			t.Errorf("IsCompletion(%q) = false", args)
		}
		var out bytes.Buffer
		e := Env{Stdout: &out, Getenv: func(string) string { return "" }, Home: t.TempDir()}
		Complete(App(e, "test"), e, args)
	}
	if IsCompletion([]string{"alirole", "exec", "p", "--", "tool", "", "--generate-bash-completion"}) {
		t.Error("a completion flag after -- belongs to the command exec runs")
	}
}
