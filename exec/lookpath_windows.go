//go:build windows

package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LookPath resolves name with the Path and PATHEXT found in env (names
// compared case-insensitively, as Windows does) instead of the parent's. A
// name with a directory part is used as is, with PATHEXT extensions tried
// when it has none. The current directory is not searched implicitly, unlike
// cmd.exe: that is how planted binaries get executed.
func LookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrNotFound)
	}
	exts := pathExts(env)
	if strings.ContainsAny(name, `/\:`) {
		if p, ok := findWithExt(name, exts); ok {
			return p, nil
		}
		return "", fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	path, _ := envValue(env, "PATH", strings.EqualFold)
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if p, ok := findWithExt(filepath.Join(dir, name), exts); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, name)
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
