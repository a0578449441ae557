package shellenv

import (
	"os/exec"
	"strings"
	"testing"
)

// FuzzPOSIXQuote round-trips arbitrary values through bash eval. Plain
// `go test` runs only the seeds below; `go test -fuzz FuzzPOSIXQuote` explores.
func FuzzPOSIXQuote(f *testing.F) {
	for _, seed := range []string{"", "'", `'\''`, "a'b'c", "\n'\n", "$'\\x41'", "\xff"} {
		f.Add(seed)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		f.Skip("bash not installed")
	}
	f.Fuzz(func(t *testing.T, value string) {
		if strings.IndexByte(value, 0) >= 0 {
			t.Skip("environment values cannot hold NUL")
		}
		posixRoundTrip(t, bash, value)
	})
}
