//go:build !unix || aix

package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"os/signal"
)

// Run starts the program in s and waits for it, returning its exit code.
// Ctrl-C on a console reaches every process attached to it, the child
// included, so Run only keeps it from killing the wrapper first. When ctx is
// done the child is killed and the error wraps ctx.Err(). If the program
// cannot be started, the code is 127 for a missing program and 126
// otherwise.
func Run(ctx context.Context, s Spec) (exitCode int, err error) {
	if s.Path == "" {
		return 127, errNoPath
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)

	cmd := &osexec.Cmd{
		Path: s.Path, Args: s.argv(), Env: s.env(), Dir: s.Dir,
		Stdin: s.Stdin, Stdout: s.Stdout, Stderr: s.Stderr,
	}
	if err := cmd.Start(); err != nil {
		code := 126
		if errors.Is(err, os.ErrNotExist) {
			code = 127
		}
		return code, fmt.Errorf("start %s: %w", s.Path, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var ctxErr error
	done := ctx.Done()
	for {
		select {
		case <-sigs:
		case <-done:
			ctxErr = ctx.Err()
			done = nil
			_ = cmd.Process.Kill()
		case err := <-waited:
			code := cmd.ProcessState.ExitCode()
			var exitErr *osexec.ExitError
			if ctxErr != nil {
				return code, fmt.Errorf("run %s: %w", s.Path, ctxErr)
			}
			if err != nil && !errors.As(err, &exitErr) {
				return code, fmt.Errorf("run %s: %w", s.Path, err)
			}
			return code, nil
		}
	}
}
