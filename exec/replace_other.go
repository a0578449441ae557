//go:build !unix

package exec

import (
	"fmt"
	"runtime"
)

// Replace is not available on this platform: Windows has no execve that
// keeps the process, so callers fall back to Run.
func Replace(s Spec) error {
	return fmt.Errorf("exec %s: replacing the process is not supported on %s", s.Path, runtime.GOOS)
}
