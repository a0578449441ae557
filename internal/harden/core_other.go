//go:build !unix

package harden

// NoCoreDumps does nothing on Windows: it has no core limit (Windows Error
// Reporting dumps are configured system-wide).
func NoCoreDumps() (restore func() error, err error) {
	return func() error { return nil }, nil
}
