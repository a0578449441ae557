//go:build unix

package exec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

var errRedirect = errors.New("replace cannot redirect standard streams; it hands over this process's own")

// Replace executes s in place of the current process (execve), so the program
// inherits the pid, the terminal and every signal directly: no wrapper stays
// behind. It only returns on failure. Stdin, Stdout and Stderr must be nil or
// this process's own os.Stdin, os.Stdout and os.Stderr.
func Replace(s Spec) error {
	if s.Path == "" {
		return errNoPath
	}
	if !isNil(s.Stdin) && s.Stdin != io.Reader(os.Stdin) ||
		!isNil(s.Stdout) && s.Stdout != io.Writer(os.Stdout) ||
		!isNil(s.Stderr) && s.Stderr != io.Writer(os.Stderr) {
		return errRedirect
	}
	if s.Dir != "" {
		// execve has no working-directory argument. On failure the
		// original directory is restored so the caller can carry on.
		prev, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("exec %s: remember working directory: %w", s.Path, err)
		}
		if err := os.Chdir(s.Dir); err != nil {
			return fmt.Errorf("exec %s: %w", s.Path, err)
		}
		defer func() { _ = os.Chdir(prev) }()
	}
	err := syscall.Exec(s.Path, s.argv(), s.env())
	return fmt.Errorf("exec %s: %w", s.Path, err)
}
