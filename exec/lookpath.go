package exec

import (
	"fmt"
	"path/filepath"
)

// LookPath resolves name the way the platform's shell would, but with the
// PATH (and on Windows PATHEXT) found in env, the child's environment,
// instead of the parent's. A name with a directory part is used as is (on
// Windows with PATHEXT extensions tried when it has none). A match through
// a relative PATH entry, or the current directory searched implicitly as
// cmd.exe does, is never used: that is how planted binaries get executed.
// The platform's rules are in finder (lookpath_unix.go, lookpath_windows.go).
func LookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrNotFound)
	}
	f := newFinder(env)
	if f.hasDir(name) {
		return f.direct(name)
	}
	path, _ := envValue(env, "PATH", f.sameName)
	for _, dir := range filepath.SplitList(path) {
		p, found, err := f.inDir(dir, name)
		if err != nil || found {
			return p, err
		}
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, name)
}
