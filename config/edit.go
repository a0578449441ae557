package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/alirole/alirole/internal/atomicfile"
)

// KeyValue is one "key = value" line for AppendProfile.
type KeyValue struct {
	Key, Value string
}

// AppendProfile adds a section for name with keys at the end of the file at
// path, unless a section for name already exists (created is then false and
// the file is untouched). Existing bytes are kept as they are. The file and
// its directory are created if missing (0600 / 0700); an existing file keeps
// its mode. Keys with an empty Value are skipped, so callers can pass
// optional settings unconditionally. The new content must parse without
// errors, otherwise nothing is written.
//
// The edit holds the file's cross-process lock from read to write, so
// concurrent alirole processes never lose each other's sections, and the
// write is crash-safe (see package atomicfile).
func AppendProfile(path, name string, keys []KeyValue) (created bool, err error) {
	if msg := profileNameProblem(name); msg != "" {
		return false, fmt.Errorf("add profile: %s", msg)
	}
	var lines []KeyValue
	for _, kv := range keys {
		if kv.Value == "" {
			continue
		}
		if !isKnownKey(kv.Key) {
			return false, fmt.Errorf("add profile %q: unknown key %q", name, kv.Key)
		}
		// A newline would let a value start a new key or section.
		if strings.ContainsAny(kv.Value, "\r\n") || strings.TrimSpace(kv.Value) != kv.Value {
			return false, fmt.Errorf("add profile %q: %s: value must be one line without leading or trailing blanks", name, kv.Key)
		}
		lines = append(lines, kv)
	}

	unlock, err := atomicfile.Lock(context.Background(), path)
	if err != nil {
		return false, fmt.Errorf("add profile %q: %w", name, err)
	}
	defer unlock()
	// Write through a symlink (dotfile managers link the config) instead of
	// replacing the link with a regular file.
	target, err := atomicfile.Target(path)
	if err != nil {
		return false, fmt.Errorf("add profile %q: %w", name, err)
	}

	perm := fs.FileMode(0o600)
	old, err := os.ReadFile(target)
	switch {
	case err == nil:
		fi, err := os.Stat(target)
		if err != nil {
			return false, fmt.Errorf("add profile %q: %w", name, err)
		}
		perm = fi.Mode().Perm()
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return false, fmt.Errorf("add profile %q: create config directory: %w", name, err)
		}
	default:
		return false, fmt.Errorf("add profile %q: read config: %w", name, err)
	}

	if scanHeaders(old)[name] {
		return false, nil
	}
	if _, err := Parse(target, old); err != nil {
		return false, fmt.Errorf("add profile %q: fix the existing errors in %s first: %w", name, target, err)
	}

	updated := appendSection(old, name, lines)
	if _, err := Parse(target, updated); err != nil {
		return false, fmt.Errorf("add profile %q: refusing to write an invalid profile: %w", name, err)
	}
	if err := atomicfile.WriteFile(target, updated, perm); err != nil {
		return false, fmt.Errorf("add profile %q: %w", name, err)
	}
	return true, nil
}

// appendSection returns old followed by the new section. It keeps old
// untouched, follows its line ending style and separates the section from
// earlier content by one blank line.
func appendSection(old []byte, name string, keys []KeyValue) []byte {
	eol := "\n"
	if bytes.Contains(old, []byte("\r\n")) {
		eol = "\r\n"
	}
	var b bytes.Buffer
	b.Write(old)
	if len(old) > 0 && old[len(old)-1] != '\n' {
		b.WriteString(eol)
	}
	if len(bytes.TrimSpace(old)) > 0 {
		b.WriteString(eol)
	}
	b.WriteString("[" + sectionHeaderName(name) + "]" + eol)
	for _, kv := range keys {
		b.WriteString(kv.Key + " = " + kv.Value + eol)
	}
	return b.Bytes()
}
