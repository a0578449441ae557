//go:build unix

package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// zeroCoreLimit sets RLIMIT_CORE's soft limit to 0 and returns how to put
// the original back.
func zeroCoreLimit() (func() error, error) {
	var orig unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &orig); err != nil {
		return func() error { return nil }, fmt.Errorf("getrlimit(RLIMIT_CORE): %w", err)
	}
	zero := unix.Rlimit{Cur: 0, Max: orig.Max}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &zero); err != nil {
		return func() error { return nil }, fmt.Errorf("setrlimit(RLIMIT_CORE, 0): %w", err)
	}
	return func() error {
		if err := unix.Setrlimit(unix.RLIMIT_CORE, &orig); err != nil {
			return fmt.Errorf("restore RLIMIT_CORE: %w", err)
		}
		return nil
	}, nil
}
