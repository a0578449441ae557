//go:build unix

package harden

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// GuardStdout moves the real stdout to a new close-on-exec descriptor and
// points descriptor 1 (and so os.Stdout, which writes to it) at a pipe that
// is drained and dropped. Descriptor 1 is redirected rather than just the
// os.Stdout variable so that nothing that writes to it directly (cgo, a
// library holding syscall.Stdout) reaches the real output either.
func GuardStdout() (*Guard, error) {
	fd, err := unix.FcntlInt(1, unix.F_DUPFD_CLOEXEC, 3)
	if err == unix.EBADF {
		// Started with stdout closed: the command's output goes nowhere,
		// as it would have.
		fd, err = unix.Open(os.DevNull, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("guard stdout: %w", err)
	}
	real := os.NewFile(uintptr(fd), "/dev/stdout")
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		real.Close()
		return nil, fmt.Errorf("guard stdout: %w", err)
	}
	unix.CloseOnExec(p[0])
	if err := unix.Dup2(p[1], 1); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		real.Close()
		return nil, fmt.Errorf("guard stdout: %w", err)
	}
	unix.Close(p[1])
	g := newGuard(real)
	go g.drain(os.NewFile(uintptr(p[0]), "stdout-drain"))
	g.release = func() error {
		if err := unix.Dup2(fd, 1); err != nil {
			return fmt.Errorf("restore stdout: %w", err)
		}
		return nil
	}
	g.stop = func() {
		// Closing the last write end ends the drain; /dev/null keeps
		// descriptor 1 valid for late writers.
		if null, err := unix.Open(os.DevNull, unix.O_WRONLY|unix.O_CLOEXEC, 0); err == nil {
			_ = unix.Dup2(null, 1)
			unix.Close(null)
		}
	}
	return g, nil
}
