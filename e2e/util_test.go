package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/testkit"
)

// regexpLine reports whether any line of text matches pattern.
func regexpLine(text, pattern string) bool {
	re := regexp.MustCompile(pattern)
	for _, line := range strings.Split(text, "\n") {
		if re.MatchString(strings.TrimRight(line, " ")) {
			return true
		}
	}
	return false
}

type lockedBuffer = testkit.LockedBuffer

// waitFor waits until the buffer contains want.
func waitFor(t *testing.T, b *lockedBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(b.String(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %q; got:\n%q", want, b.String())
}
