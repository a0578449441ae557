package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// runTimeout bounds one alirole process, so that a hang (a keyring prompt,
// a wedged bus) fails the bench instead of stalling it.
const runTimeout = 60 * time.Second

// passphrase protects the sandbox file keychains; it is a throwaway value
// that only ever reaches the child processes through their environment.
const passphrase = "bench-file-keychain-passphrase"

// sandbox is one user's machine: home, config file, keychain, lock dir.
type sandbox struct {
	name    string
	dir     string
	env     []string
	timeout time.Duration // per process
}

// newSandbox creates a sandbox under parent for backend, with the STS
// emulator's endpoint and CA. extra adds or overrides variables.
func newSandbox(parent, name, backend, endpoint, caPath string, extra ...string) (*sandbox, error) {
	dir := filepath.Join(parent, name)
	for _, d := range []string{"home", "run", "cache", "xdgconfig"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("create sandbox %s: %w", name, err)
		}
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"USER=bench",
		"LANG=C",
		"ALIROLE_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"ALIROLE_BACKEND=" + backend,
		"ALIROLE_FILE_DIR=" + filepath.Join(dir, "keys"),
		"ALIROLE_FILE_PASSPHRASE=" + passphrase,
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "xdgconfig"),
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
		"SSL_CERT_FILE=" + caPath,
		"ALIROLE_STS_ENDPOINT=" + endpoint,
	}
	return &sandbox{name: name, dir: dir, env: append(env, extra...), timeout: runTimeout}, nil
}

func (s *sandbox) writeConfig(text string) error {
	if err := os.WriteFile(filepath.Join(s.dir, "config"), []byte(text), 0o600); err != nil {
		return fmt.Errorf("write config of sandbox %s: %w", s.name, err)
	}
	return nil
}

// exitError is a child that exited non-zero; it carries stderr, which
// alirole keeps free of secrets.
type exitError struct {
	args   []string
	code   int
	stderr string
}

func (e *exitError) Error() string {
	return fmt.Sprintf("alirole %s: exit %d: %s", strings.Join(e.args, " "), e.code, strings.TrimSpace(e.stderr))
}

// time runs bin with the sandbox environment and returns its wall time,
// measured from just before the fork to the reaping of the child.
func (s *sandbox) time(bin string, extra []string, args ...string) (time.Duration, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(append([]string{}, s.env...), extra...)
	cmd.Dir = s.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var ee *exec.ExitError
	if ctx.Err() != nil {
		return d, nil, fmt.Errorf("alirole %s: no answer within %s", strings.Join(args, " "), s.timeout)
	}
	if errors.As(err, &ee) {
		return d, out.Bytes(), &exitError{args: args, code: ee.ExitCode(), stderr: errb.String()}
	}
	if err != nil {
		return d, nil, fmt.Errorf("run %s: %w", filepath.Base(bin), err)
	}
	return d, out.Bytes(), nil
}

// addAlice stores alice's AccessKey with `alirole add --env` (the secret
// goes through the environment, never argv).
func (s *sandbox) addAlice(bin string) error {
	_, _, err := s.time(bin, []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + aliceSecret}, "add", "--env", "alice")
	return err
}

// checkExternal verifies that out is the aliyun CLI External JSON of an
// STS session, so that a fast but wrong run is not counted as a result.
func checkExternal(out []byte) error {
	var e struct {
		Mode        string `json:"mode"`
		AccessKeyID string `json:"access_key_id"`
		StsToken    string `json:"sts_token"`
	}
	if err := json.Unmarshal(out, &e); err != nil {
		return fmt.Errorf("export output is not JSON: %w", err)
	}
	if e.Mode != "StsToken" || !strings.HasPrefix(e.AccessKeyID, "STS.") || e.StsToken == "" {
		return fmt.Errorf("export output is not an STS session (mode %q)", e.Mode)
	}
	return nil
}
