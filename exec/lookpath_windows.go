//go:build windows

package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// finder holds the Windows rules of LookPath: Path and PATHEXT compared
// case-insensitively, as Windows does, PATHEXT extensions tried, and the
// current directory never searched implicitly, unlike cmd.exe.
type finder struct{ exts []string }

func newFinder(env []string) finder { return finder{exts: pathExts(env)} }

func (finder) sameName(a, b string) bool { return strings.EqualFold(a, b) }

func (finder) hasDir(name string) bool { return strings.ContainsAny(name, `/\:`) }

func (f finder) direct(name string) (string, error) {
	if p, ok := findWithExt(name, f.exts); ok {
		return p, nil
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, name)
}

func (f finder) inDir(dir, name string) (string, bool, error) {
	if dir == "" || !filepath.IsAbs(dir) {
		return "", false, nil
	}
	p, ok := findWithExt(filepath.Join(dir, name), f.exts)
	return p, ok, nil
}

func pathExts(env []string) []string {
	v, ok := envValue(env, "PATHEXT", strings.EqualFold)
	if !ok || v == "" {
		v = ".com;.exe;.bat;.cmd"
	}
	var exts []string
	for _, e := range strings.Split(strings.ToLower(v), ";") {
		if e == "" {
			continue
		}
		if e[0] != '.' {
			e = "." + e
		}
		exts = append(exts, e)
	}
	return exts
}

func findWithExt(path string, exts []string) (string, bool) {
	ext := strings.ToLower(filepath.Ext(path))
	for _, e := range exts {
		if ext == e && isFile(path) {
			return path, true
		}
	}
	for _, e := range exts {
		if isFile(path + e) {
			return path + e, true
		}
	}
	return "", false
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	return !fi.IsDir()
}
