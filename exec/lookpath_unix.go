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

// finder holds the POSIX rules of LookPath: execvp's search, except that a
// match through a relative PATH entry (such as "" or ".") is refused
// rather than run because PATH happens to include the current directory.
type finder struct{}

func newFinder([]string) finder { return finder{} }

func (finder) sameName(a, b string) bool { return a == b }

func (finder) hasDir(name string) bool { return strings.Contains(name, "/") }

func (finder) direct(name string) (string, error) {
	if err := executable(name); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return "", fmt.Errorf("command %s: %w", name, err)
	}
	return name, nil
}

func (finder) inDir(dir, name string) (string, bool, error) {
	if dir == "" {
		dir = "." // POSIX: an empty entry is the current directory
	}
	candidate := filepath.Join(dir, name)
	if executable(candidate) != nil {
		return "", false, nil
	}
	if !filepath.IsAbs(candidate) {
		return "", false, fmt.Errorf("command %s found as %s through a relative PATH entry; refusing to run it (give ./%s to mean it)", name, candidate, name)
	}
	return candidate, true, nil
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
