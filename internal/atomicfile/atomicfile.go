// Package atomicfile is alirole's one crash-safe write path: every file
// alirole writes (its config, the aliyun CLI's config.json, file keychain
// items) is replaced by writing a temporary file in the same directory,
// fsyncing it, renaming it over the target and fsyncing the directory, so a
// crash or kill -9 at any point leaves either the old or the new content.
//
// Writers of one file serialise with Lock; under that lock every temporary
// file of the target is known to be a leftover of a killed writer, and the
// next successful write removes it.
//
// github.com/google/renameio/v2 does not build its writer on Windows, and
// github.com/natefinch/atomic neither syncs the directory nor cleans up
// after killed writers or moves in a file that another library wrote; the
// few lines here do all of that on linux, darwin and windows.
package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// tempInfix marks temporary files: ".<base>.tmp-<random>".
const tempInfix = ".tmp-"

func tempPrefix(target string) string { return "." + filepath.Base(target) + tempInfix }

// IsTemp reports whether name (a base name) is a temporary file of
// WriteFile, for any target.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempInfix)
}

// Target returns the file a write to path replaces: path itself, or, when
// path is a symlink (dotfile managers link config files), the file it
// points to, so that the link stays a link.
func Target(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	return target, nil
}

// WriteFile replaces path (through a symlink, see Target) with data, with
// mode perm (not filtered by the umask). The directory must exist. On
// failure the old content is left and the temporary file removed. Writers
// that may run concurrently hold Lock(path), which also removes what killed
// writers left (or call CleanTemps under a lock of their own).
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return writeFile(path, data, perm, nil)
}

// writeFile is WriteFile; beforeRename, when set, runs on the complete
// temporary file and can fail the write (tests).
func writeFile(path string, data []byte, perm fs.FileMode, beforeRename func(tmp string) error) (err error) {
	target, err := Target(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, tempPrefix(target)+"*")
	if err != nil {
		return fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	// Chmod explicitly: the create mode is filtered by the umask.
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if beforeRename != nil {
		if err = beforeRename(tmp); err != nil {
			return err
		}
	}
	return rename(tmp, target)
}

// Replace moves the complete file src (written by someone else, such as a
// library) over dst durably: fsync src, rename, fsync the directory. src
// and dst must be on the same file system.
func Replace(src, dst string) error {
	f, err := os.OpenFile(src, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", src, err)
	}
	return rename(src, dst)
}

func rename(src, dst string) error {
	err := os.Rename(src, dst)
	// Windows refuses to replace a file another process has open (a
	// reader, an antivirus scan) for a moment; retry briefly.
	for i := 0; err != nil && isWindows() && i < 20; i++ {
		time.Sleep(50 * time.Millisecond)
		err = os.Rename(src, dst)
	}
	if err != nil {
		return fmt.Errorf("replace %s: %w", dst, err)
	}
	SyncDir(filepath.Dir(dst))
	return nil
}

// SyncDir makes renames and removals in dir durable. Windows cannot sync a
// directory (its renames go through the journal); there and on file
// systems that refuse, the error is ignored: the data itself is synced.
func SyncDir(dir string) {
	if isWindows() {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// CleanTemps removes the temporary files WriteFile made for target (after
// symlinks) that a killed writer left behind. Call it only under a lock
// that excludes every other writer of target: a live writer's temporary
// file would go too, failing its write.
func CleanTemps(target string) {
	dir := filepath.Dir(target)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(target)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// LockTimeout bounds the wait for another alirole process editing a file.
const LockTimeout = time.Minute

// Lock takes the cross-process lock for read-modify-write edits of path:
// an flock (LockFileEx on Windows) on ".<base>.lock" next to path,
// creating the directory (0700) when missing. The lock dies with its
// process, so a killed holder never blocks later runs. Once it is held, the
// temporary files a killed writer of path left are removed, even if the
// caller then writes nothing. unlock releases the lock.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	lockPath := filepath.Join(dir, "."+filepath.Base(path)+".lock")
	fl := flock.New(lockPath, flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, LockTimeout)
	defer cancel()
	ok, err := fl.TryLockContext(ctx, 10*time.Millisecond)
	if err == nil && !ok {
		err = errors.New("not acquired")
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("timed out after %s waiting for another alirole process editing %s (lock %s)", LockTimeout, path, lockPath)
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath, err)
	}
	if target, err := Target(path); err == nil {
		CleanTemps(target)
	}
	return func() { _ = fl.Unlock() }, nil
}

// IsLock reports whether name (a base name) is a lock file of Lock.
func IsLock(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".lock")
}
