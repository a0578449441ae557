// Package lockdir creates and checks the per-user directory that holds
// alirole's lock files (hop locks, sign-in locks, the session generation):
// a real directory, not a symlink, owned by this user and writable by
// nobody else. Anyone else who could write it could plant symlinks or hold
// locks that block every export.
package lockdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// OpenNoFollow is O_NOFOLLOW where the OS has it (0 elsewhere): lock files
// are opened with it so that a symlink planted in their place is refused.
const OpenNoFollow = openNoFollow

// Prepare creates dir (0700) or checks the one that exists.
func Prepare(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("create lock directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create lock directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("check lock directory: %w", err)
	}
	return check(dir, fi)
}

// check applies the type and mode rules; checkOwner (per OS) the owner rule.
func check(dir string, fi fs.FileInfo) error {
	const fix = "remove it (alirole recreates it with mode 0700) or point XDG_RUNTIME_DIR at a directory only you can write"
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("lock directory %s is a symbolic link, which alirole does not follow (someone may be redirecting its locks): %s", dir, fix)
	case !fi.IsDir():
		return fmt.Errorf("lock directory %s is not a directory: %s", dir, fix)
	}
	if err := checkOwner(dir, fi); err != nil {
		return fmt.Errorf("%w: %s", err, fix)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 && modeMatters() {
		return fmt.Errorf("lock directory %s is writable by other users (mode %04o), so they could plant or hold its lock files: run 'chmod 700 %s', or %s", dir, perm, dir, fix)
	}
	return nil
}

// IsSymlinkLoop reports the error open(2) gives for O_NOFOLLOW on a symlink.
func IsSymlinkLoop(err error) bool { return isSymlinkLoop(err) }
