//go:build unix && !linux

package harden

// NoCoreDumps sets the soft core limit to 0 (macOS and the BSDs have no
// PR_SET_DUMPABLE). PT_DENY_ATTACH is not used on macOS: it only stops
// debuggers the user starts against their own process, which could read
// the same secrets from the keychain anyway, and it breaks crash reports.
// The hard limit is left alone so that restore can give a program alirole
// execs in its place the user's own limit back.
func NoCoreDumps() (restore func() error, err error) {
	return zeroCoreLimit()
}
