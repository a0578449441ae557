package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
// The write is atomic (temp file, fsync, rename) but not locked: two
// concurrent appends can lose one of them.
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

	// Write through a symlink (dotfile managers link the config) instead of
	// replacing the link with a regular file.
	target := path
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return false, fmt.Errorf("add profile %q: resolve %s: %w", name, path, err)
		}
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
	if err := writeFileAtomic(target, updated, perm); err != nil {
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

// writeFileAtomic replaces path with data so readers see either the old or
// the new file, never a partial one, even after a crash.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	// Persist the rename itself; not every platform can sync a directory,
	// and the data is already safe, so a failure here is not reported.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
