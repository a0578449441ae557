//go:build !windows

package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LookPath resolves name the way execvp would, but with the PATH found in env
// (the child's environment) instead of the parent's. A name containing a
// slash is used as is. A match found through a relative PATH entry (such as
// "" or ".") is refused: running ./name because PATH happens to include the
// current directory is how planted binaries get executed.
func LookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrNotFound)
	}
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			if errors.Is(err, ErrNotFound) {
				return "", fmt.Errorf("%w: %s", ErrNotFound, name)
			}
			return "", fmt.Errorf("command %s: %w", name, err)
		}
		return name, nil
	}
	path, _ := envValue(env, "PATH", func(a, b string) bool { return a == b })
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "." // POSIX: an empty entry is the current directory
		}
		candidate := filepath.Join(dir, name)
		if executable(candidate) != nil {
			continue
		}
		if !filepath.IsAbs(candidate) {
			return "", fmt.Errorf("command %s found as %s through a relative PATH entry; refusing to run it (give ./%s to mean it)", name, candidate, name)
		}
		return candidate, nil
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, name)
}

var errNotExecutable = errors.New("not an executable file")

// executable reports why path cannot be run, or nil.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return errNotExecutable
	}
	return nil
}
