package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// NoCoreDumps makes the process non-dumpable (no core file whatever the
// limit, and no ptrace or /proc/PID/mem access by other processes of the
// user) and sets the soft core limit to 0. The hard limit is left alone,
// so the returned restore can give a program alirole execs in its place the
// user's own limit back (execve resets the dumpable flag by itself).
func NoCoreDumps() (restore func() error, err error) {
	restore, err = zeroCoreLimit()
	if perr := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); perr != nil && err == nil {
		err = fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", perr)
	}
	return restore, err
}
