package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPath is where the config file lives: $ALIROLE_CONFIG_FILE, else
// $XDG_CONFIG_HOME/alirole/config, else <home>/.config/alirole/config.
// A relative XDG_CONFIG_HOME is ignored, as the XDG spec asks.
func DefaultPath(getenv func(string) string, home string) string {
	if p := getenv("ALIROLE_CONFIG_FILE"); p != "" {
		return p
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "alirole", "config")
	}
	return filepath.Join(home, ".config", "alirole", "config")
}

// resolvePath expands a leading "~/" (shells do not do it inside config
// files) and makes relative paths relative to the config file's directory,
// so a profile means the same thing from any working directory.
func resolvePath(p, configDir, home string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		if home == "" {
			return "", errors.New("cannot expand ~: home directory unknown")
		}
		return filepath.Join(home, p[1:]), nil
	}
	if strings.HasPrefix(p, "~") {
		return "", errors.New("~user paths are not supported; use ~/ or an absolute path")
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	return filepath.Join(configDir, p), nil
}

// maxPolicyFileSize bounds policy_file reads. STS accepts policies of at
// most 2048 characters, so anything far larger is a wrong path.
const maxPolicyFileSize = 64 << 10

// readPolicyFile reads a regular file of bounded size, so a path such as
// /dev/zero or a FIFO cannot hang or exhaust memory while loading the config.
func readPolicyFile(path string) ([]byte, error) {
	// Check before opening: opening a FIFO for reading blocks until a
	// writer appears.
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if fi.Size() > maxPolicyFileSize {
		return nil, errors.New("file is larger than 64 KiB")
	}
	// The size can change between Stat and Read; the limit holds anyway.
	data, err := io.ReadAll(io.LimitReader(f, maxPolicyFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPolicyFileSize {
		return nil, errors.New("file is larger than 64 KiB")
	}
	return data, nil
}
