package commands

import (
	"context"
	"errors"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/keychain"
)

// TestCommandsUseEnv: a command run in process reads the home directory,
// the environment and the user from Env only, never from the process: the
// config's "~/" and the keychain's environment come from Env.
func TestCommandsUseEnv(t *testing.T) {
	home := t.TempDir()
	// The process's own home and variables point elsewhere.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("PASSWORD_STORE_DIR", "/process/store")
	cfgDir := filepath.Join(home, ".config", "alirole")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "policy.json"), []byte(`{"Version":"1","Statement":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := "[profile base]\n\n[profile prod]\nsource_profile = base\nram_role_arn = acs:ram::1111222233334444:role/prod\npolicy_file = ~/policy.json\n"
	if err := os.WriteFile(filepath.Join(cfgDir, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"PASSWORD_STORE_DIR": "/env/store", "XDG_RUNTIME_DIR": t.TempDir()}
	var opened []keychain.Options
	var stderr strings.Builder
	env := Env{
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] }, Environ: func() []string { return nil },
		Now: time.Now, Home: home,
		OpenKeyring: func(o keychain.Options) (keyring.Keyring, error) {
			opened = append(opened, o)
			return keyring.NewArrayKeyring(nil), nil
		},
	}
	app := &cli.App{Name: "alirole", Flags: GlobalFlags(), Commands: []*cli.Command{List(env)}}
	if code := Run(context.Background(), app, []string{"alirole", "list"}, env); code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr.String())
	}
	if len(opened) == 0 {
		t.Fatal("list did not open the keychain")
	}
	if opened[0].Getenv == nil {
		t.Fatal("keychain options carry no Getenv: the keychain would read the process environment")
	}
	if got := opened[0].Getenv("PASSWORD_STORE_DIR"); got != "/env/store" {
		t.Errorf("keychain sees PASSWORD_STORE_DIR=%q, want Env's /env/store", got)
	}
	if want := filepath.Join(home, ".alirole", "keys"); opened[0].FileDir != want {
		t.Errorf("file backend dir %q, want %q under Env's home", opened[0].FileDir, want)
	}
}

func TestOSUserFromEnv(t *testing.T) {
	env := Env{Getenv: func(k string) string { return map[string]string{"USER": "from-env"}[k] }}
	if got := env.osUser(); got != "from-env" {
		t.Errorf("without CurrentUser: %q, want $USER", got)
	}
	env.CurrentUser = func() (*user.User, error) { return &user.User{Username: "carol"}, nil }
	if got := env.osUser(); got != "carol" {
		t.Errorf("with CurrentUser: %q, want carol", got)
	}
	env.CurrentUser = func() (*user.User, error) { return nil, errors.New("no passwd entry") }
	if got := env.osUser(); got != "from-env" {
		t.Errorf("when CurrentUser fails: %q, want $USER", got)
	}
}
