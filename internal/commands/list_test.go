package commands

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/keychain"
)

// countingWriter counts the writes that reach it: each one is a system
// call when it is the process's stdout.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// Listing many profiles must not cost a write per line or per cell (it
// took ~46,000 writes for 5,000 profiles); the output must stay the same.
func TestListingWritesAreBuffered(t *testing.T) {
	const n = 300
	dir := t.TempDir()
	var cfg strings.Builder
	for i := range n {
		fmt.Fprintf(&cfg, "[profile p%03d]\nregion_id = cn-hangzhou\n\n", i)
	}
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want string // a line every output must contain
	}{
		{"list --profiles", []string{"list", "--profiles"}, "p299\n"},
		{"list", []string{"list"}, "p299 "},
		{"completion", []string{"export", "", "--generate-bash-completion"}, "p299\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &countingWriter{}
			runDir := t.TempDir()
			env := Env{
				Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard,
				Getenv: func(k string) string {
					if k == "XDG_RUNTIME_DIR" {
						return runDir
					}
					return ""
				}, Environ: func() []string { return nil },
				Now: time.Now, Home: dir,
				OpenKeyring: func(keychain.Options) (keyring.Keyring, error) { return keyring.NewArrayKeyring(nil), nil },
			}
			app := &cli.App{
				Name: "alirole", EnableBashCompletion: true, Flags: GlobalFlags(),
				Commands: []*cli.Command{List(env), Export(env)},
			}
			args := append([]string{"alirole", "--config", path}, tt.args...)
			if code := Run(context.Background(), app, args, env); code != 0 {
				t.Fatalf("exit %d", code)
			}
			text := out.String()
			if got := strings.Count(text, "\n"); got < n {
				t.Fatalf("%d lines of output, want at least %d:\n%s", got, n, text)
			}
			if !strings.Contains(text, tt.want) || !strings.Contains(text, "p000") {
				t.Fatalf("output lacks profiles:\n%s", text)
			}
			// bufio's default buffer is 4 KiB: a handful of writes at most.
			if limit := len(text)/4096 + 1; out.writes > limit {
				t.Errorf("%d writes for %d bytes, want at most %d", out.writes, len(text), limit)
			}
		})
	}
}
