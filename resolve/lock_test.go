//go:build unix

package resolve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// TestLockDirRefused: a lock directory another user could write, redirect or
// own is refused with a message naming it and saying what to do, and no STS
// call is made. Root simulates a foreign owner with chown.
func TestLockDirRefused(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
	}{
		{"world-writable", func(t *testing.T, dir string) {
			mkdir(t, dir)
			if err := os.Chmod(dir, 0o777); err != nil {
				t.Fatal(err)
			}
		}, []string{"writable by other users (mode 0777)", "chmod 700 "}},
		{"group-writable", func(t *testing.T, dir string) {
			mkdir(t, dir)
			if err := os.Chmod(dir, 0o770); err != nil {
				t.Fatal(err)
			}
		}, []string{"mode 0770"}},
		{"symlink", func(t *testing.T, dir string) {
			target := filepath.Join(filepath.Dir(dir), "elsewhere")
			mkdir(t, target)
			if err := os.Symlink(target, dir); err != nil {
				t.Fatal(err)
			}
		}, []string{"is a symbolic link"}},
		{"not a directory", func(t *testing.T, dir string) {
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"is not a directory"}},
		{"foreign owner", func(t *testing.T, dir string) {
			if os.Getuid() != 0 {
				t.Skip("needs root to chown")
			}
			mkdir(t, dir)
			if err := os.Chown(dir, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, []string{"belongs to uid 4242, not to you (uid 0)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu := newTestEmulator(t)
			lockDir := filepath.Join(t.TempDir(), "alirole")
			tc.setup(t, lockDir)
			ts := newTestResolver(t, emu, func(o *Options) { o.LockDir = lockDir })
			_, err := ts.r.Resolve(context.Background(), "admin")
			if err == nil {
				t.Fatal("unsafe lock directory accepted")
			}
			t.Logf("error: %v", err)
			for _, want := range append(tc.want, lockDir, "remove it") {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q", want)
				}
			}
			if n := len(emu.Calls()); n != 0 {
				t.Errorf("%d STS calls despite the refused lock directory", n)
			}
		})
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

// TestLockDirCreatedPrivate: a missing lock directory is created 0700.
func TestLockDirCreatedPrivate(t *testing.T) {
	emu := newTestEmulator(t)
	lockDir := filepath.Join(t.TempDir(), "run", "alirole")
	ts := newTestResolver(t, emu, func(o *Options) { o.LockDir = lockDir })
	if _, err := ts.r.Resolve(context.Background(), "admin"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(lockDir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("lock directory mode %v, want drwx------", fi.Mode())
	}
}

// TestLockFileSymlinkNotFollowed: a symlink planted where a lock file goes
// is refused, and its target is neither created nor opened.
func TestLockFileSymlinkNotFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "victim")
	emu := newTestEmulator(t)
	ts := newTestResolver(t, emu, func(o *Options) { o.LockDir = dir })
	key := "a hop's cache key"
	// Plant a symlink at the path lockHop will use.
	unlock, err := ts.r.lockHop(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var path string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		path = filepath.Join(dir, e.Name())
	}
	unlock()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	_, err = ts.r.lockHop(context.Background(), key)
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link") || !strings.Contains(err.Error(), path) {
		t.Fatalf("planted symlink: error %v", err)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Fatalf("symlink target was created: %v", err)
	}
}

// TestLockFilesCleanedUp: no lock file outlives its holder, stale ones from
// killed processes are removed, and one still held is left alone.
func TestLockFilesCleanedUp(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	stale := filepath.Join(dir, "0123456789abcdef01234567.lock")
	held := filepath.Join(dir, "fedcba9876543210fedcba98.lock")
	for _, p := range []string{stale, held} {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	holder := flock.New(held)
	if ok, err := holder.TryLock(); !ok || err != nil {
		t.Fatalf("hold %s: %v", held, err)
	}
	defer holder.Unlock()
	emu := newTestEmulator(t)
	ts := newTestResolver(t, emu, func(o *Options) { o.LockDir = dir })
	if _, err := ts.r.Resolve(context.Background(), "prod"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != filepath.Base(held) {
		t.Fatalf("lock directory holds %v, want only the held lock file", names)
	}
}

// TestLockHopExclusiveWithRemoval: removing lock files on unlock never lets
// two holders in at once.
func TestLockHopExclusiveWithRemoval(t *testing.T) {
	emu := newTestEmulator(t)
	ts := newTestResolver(t, emu, func(o *Options) { o.LockDir = t.TempDir() })
	var inside, maxInside, total atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				unlock, err := ts.r.lockHop(context.Background(), "same key")
				if err != nil {
					t.Error(err)
					return
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(100 * time.Microsecond)
				inside.Add(-1)
				total.Add(1)
				unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d lock acquisitions, at most %d holder(s) at once", total.Load(), maxInside.Load())
	if maxInside.Load() != 1 {
		t.Fatalf("%d holders at once", maxInside.Load())
	}
}
