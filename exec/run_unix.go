//go:build unix && !aix

package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// forwardedSignals are relayed to the child. SIGTSTP is subscribed
// separately because it needs its own handling.
var forwardedSignals = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT,
}

// pollInterval bounds how long a lost SIGCHLD could delay noticing that the
// child changed state (another package resetting SIGCHLD, say).
const pollInterval = time.Second

// Run starts the program in s in the caller's process group, relays signals
// to it and waits for it. It returns the program's exit status, or 128+N when
// signal N killed it.
//
// Signals: SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 and SIGCONT sent to this process
// are forwarded to the child. SIGINT, SIGQUIT, SIGTSTP and SIGWINCH are
// forwarded too, except when this process group is the terminal's foreground
// group and the child is still in it: then the terminal has already delivered
// the signal to the child, and a second SIGINT would make many programs
// (terraform, for one) abort instead of stopping gracefully. Go cannot tell a
// terminal's SIGINT from kill(1)'s, so a SIGINT sent by kill to a foreground
// wrapper is not forwarded.
//
// Job control: when the child stops (Ctrl-Z, SIGSTOP, background tty
// access), Run stops this process too, with SIGSTOP, so the shell sees the
// whole job stopped; when this process is continued it continues the child.
// A child that ignores SIGTSTP keeps the wrapper running, as it should.
//
// When ctx is done the child is killed with SIGKILL and the error wraps
// ctx.Err(). If the program cannot be started, the code is 127 for a missing
// program and 126 otherwise. Signal subscriptions last only for the call.
// Output copied into a non-file writer is drained before Run returns, which
// lasts as long as anything the child left running keeps the pipe open.
func Run(ctx context.Context, s Spec) (exitCode int, err error) {
	if s.Path == "" {
		return 127, errNoPath
	}
	if err := ctx.Err(); err != nil {
		return 126, fmt.Errorf("run %s: %w", s.Path, err)
	}
	st, err := openStdio(s)
	if err != nil {
		return 126, fmt.Errorf("run %s: %w", s.Path, err)
	}

	// Subscribe before starting, so no signal or exit can slip between.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	tstp := make(chan os.Signal, 1)
	signal.Notify(tstp, syscall.SIGTSTP)
	defer signal.Stop(tstp)
	// A separate one-slot channel: a pending SIGCHLD is all we need to know,
	// and a flood of other signals cannot crowd it out.
	chld := make(chan os.Signal, 1)
	signal.Notify(chld, syscall.SIGCHLD)
	defer signal.Stop(chld)

	proc, err := os.StartProcess(s.Path, s.argv(), &os.ProcAttr{
		Dir:   s.Dir,
		Env:   s.env(),
		Files: st.files[:],
	})
	if err != nil {
		st.closeAll()
		code := 126
		if errors.Is(err, fs.ErrNotExist) {
			code = 127
		}
		return code, fmt.Errorf("start %s: %w", s.Path, err)
	}
	// Reaping is done below with wait4 on the pid; the handle is only kept
	// for its resources.
	defer func() { _ = proc.Release() }()
	st.started()

	term := openTTY()
	defer term.close()

	code, err := supervise(ctx, proc.Pid, term, sigs, tstp, chld)
	if copyErr := st.finish(); err == nil {
		err = copyErr
	}
	if err != nil {
		return code, fmt.Errorf("run %s: %w", s.Path, err)
	}
	return code, nil
}

// supervise relays signals to pid and waits for it to end. Reaping and
// signalling happen on this one goroutine, so a signal can never reach a
// recycled pid.
func supervise(ctx context.Context, pid int, term tty, sigs, tstp, chld <-chan os.Signal) (int, error) {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	done := ctx.Done()
	var ctxErr error
	for {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG|unix.WUNTRACED, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return -1, fmt.Errorf("wait for process %d: %w", pid, err)
		case wpid == pid && ws.Stopped():
			// Follow the child into the stop so the shell sees the job
			// stopped. SIGSTOP, because once notified Go never gives
			// SIGTSTP its stopping default action back.
			_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
			continue
		case wpid == pid && ws.Exited():
			return ws.ExitStatus(), ctxErr
		case wpid == pid && ws.Signaled():
			return 128 + int(ws.Signal()), ctxErr
		}

		select {
		case <-chld:
		case <-ticker.C:
		case sig := <-sigs:
			if sig, ok := sig.(syscall.Signal); ok {
				relay(pid, sig, term)
			}
		case <-tstp:
			// The child decides whether the job stops; Run follows it
			// when wait4 reports the stop.
			relay(pid, syscall.SIGTSTP, term)
		case <-done:
			ctxErr = ctx.Err()
			done = nil
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// relay forwards sig to pid unless the terminal has already sent it there.
func relay(pid int, sig syscall.Signal, term tty) {
	if terminalSignal(sig) && term.deliversTo(pid) {
		return
	}
	_ = syscall.Kill(pid, sig)
}

// terminalSignal reports whether the terminal driver generates sig for the
// whole foreground process group.
func terminalSignal(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTSTP, syscall.SIGWINCH:
		return true
	}
	return false
}

// tty is the controlling terminal, opened only to ask which process group is
// in the foreground; fd is -1 when there is none.
type tty struct{ fd int }

func openTTY() tty {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return tty{fd: -1}
	}
	return tty{fd: fd}
}

func (t tty) close() {
	if t.fd >= 0 {
		_ = unix.Close(t.fd)
	}
}

// deliversTo reports whether the terminal sends its signals to pid: our
// process group is in the foreground and pid has not left it.
func (t tty) deliversTo(pid int) bool {
	if t.fd < 0 {
		return false
	}
	fg, err := unix.IoctlGetInt(t.fd, unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	own, err := unix.Getpgid(0)
	if err != nil || fg != own {
		return false
	}
	child, err := unix.Getpgid(pid)
	return err == nil && child == own
}
