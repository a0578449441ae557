package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/internal/commands"
	"github.com/alirole/alirole/internal/prompt"
	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

// profile runs one alirole command line in-process, through the same
// commands/resolve/keychain code as the binary, under the CPU profiler. A
// sandbox is warmed with the real binary first (the subprocess trusts the
// emulator's CA through SSL_CERT_FILE; this process never calls STS).
func (e *env) profile() error {
	var (
		s   *sandbox
		err error
	)
	if e.o.profLarge {
		s, err = e.largeSandbox()
	} else {
		s, err = e.warmSandbox("profile", "file")
	}
	if err != nil {
		return err
	}
	if e.o.profCold {
		// Go reads SSL_CERT_FILE once, at the first TLS handshake: this
		// process has made none yet, so the emulator's CA is trusted.
		if err := os.Setenv("SSL_CERT_FILE", e.caPath); err != nil {
			return fmt.Errorf("trust emulator ca: %w", err)
		}
	}
	cenv := s.commandsEnv()
	// urfave/cli reads the global flags' variables from the process
	// environment, not from Env: pass the sandbox's as flags.
	args := []string{"alirole",
		"--config", cenv.Getenv("ALIROLE_CONFIG_FILE"),
		"--backend", cenv.Getenv("ALIROLE_BACKEND"),
		"--file-dir", cenv.Getenv("ALIROLE_FILE_DIR"),
		"--sts-endpoint", cenv.Getenv("ALIROLE_STS_ENDPOINT"),
	}
	global := args
	args = append(append([]string(nil), global...), strings.Fields(e.o.profCommand)...)
	runArgs := func(args []string) error {
		app := &cli.App{
			Name:  "alirole",
			Flags: commands.GlobalFlags(),
			Commands: []*cli.Command{
				commands.Export(cenv), commands.List(cenv), commands.Exec(cenv), commands.Clear(cenv),
			},
		}
		if code := commands.Run(context.Background(), app, args, cenv); code != 0 {
			return fmt.Errorf("in-process %s: exit %d", strings.Join(args, " "), code)
		}
		return nil
	}
	once := func() error {
		if e.o.profCold {
			if err := runArgs(append(append([]string(nil), global...), "clear")); err != nil {
				return err
			}
		}
		return runArgs(args)
	}
	if err := once(); err != nil { // warm-up, and fail before profiling
		return err
	}
	f, err := os.Create(e.o.cpuprofile)
	if err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("cpu profile: %w", err)
	}
	start := time.Now()
	for range e.o.profIters {
		if err := once(); err != nil {
			pprof.StopCPUProfile()
			return err
		}
	}
	took := time.Since(start)
	pprof.StopCPUProfile()
	fmt.Fprintf(e.o.out, "%d in-process runs of %q: %s each; profile in %s\n(go tool pprof -top %s)\n",
		e.o.profIters, e.o.profCommand, (took / time.Duration(e.o.profIters)).Round(time.Microsecond), e.o.cpuprofile, e.o.cpuprofile)
	return nil
}

// commandsEnv is the sandbox as a commands.Env: its variables instead of
// the process environment, output discarded.
func (s *sandbox) commandsEnv() commands.Env {
	vars := map[string]string{}
	for _, kv := range s.env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	return commands.Env{
		Args:   nil,
		Stdin:  strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard,
		Getenv:           getenv,
		Environ:          func() []string { return append([]string(nil), s.env...) },
		Now:              time.Now,
		TTY:              prompt.DefaultOpener,
		Home:             filepath.Join(s.dir, "home"),
		OpenKeyring:      keychain.Open,
		OpenSessionCache: keychain.OpenSessionCache,
		Executable:       os.Executable,
	}
}

// keepSandbox leaves a warm sandbox (large config with -profile-large) for
// tools that run the binary themselves. Cache hits need no emulator, so
// the sandbox stays usable after the bench exits, until the sessions expire.
func (e *env) keepSandbox() error {
	dir, err := filepath.Abs(e.o.sandboxDir)
	if err != nil {
		return fmt.Errorf("sandbox dir: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("sandbox dir: %w", err)
	}
	bin := filepath.Join(dir, "alirole")
	data, err := os.ReadFile(e.bin)
	if err != nil {
		return fmt.Errorf("copy binary: %w", err)
	}
	if err := os.WriteFile(bin, data, 0o700); err != nil {
		return fmt.Errorf("copy binary: %w", err)
	}
	e.tmp = dir
	var s *sandbox
	if e.o.profLarge {
		s, err = e.largeSandbox()
	} else {
		s, err = e.warmSandbox("user", "file")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.o.out, "# warm sandbox; run e.g.:\n#   env -i $(cat %s/env) %s export --format external %s\n", dir, bin, hitProfile)
	var lines []string
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "PATH=") {
			lines = append(lines, kv)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "env"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("write env: %w", err)
	}
	if !e.o.serve {
		return nil
	}
	e.emu.Inject(stsemu.Fault{Action: "AssumeRole", Latency: e.o.latency})
	fmt.Fprintf(e.o.out, "# emulator at %s (AssumeRole latency %s); interrupt to stop\n", e.endpoint, e.o.latency)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return nil
}
