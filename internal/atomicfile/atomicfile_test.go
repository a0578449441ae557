package atomicfile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func temps(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if IsTemp(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteFileReplacesWithMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "new" {
		t.Fatalf("content %q", got)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", fi.Mode().Perm())
		}
	}
	if left := temps(t, dir); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestWriteFileFailureKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	err := writeFile(path, []byte("new"), 0o600, func(tmp string) error {
		if got := read(t, tmp); got != "new" {
			t.Errorf("temporary file holds %q", got)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got := read(t, path); got != "old" {
		t.Fatalf("a failed write changed the file: %q", got)
	}
	if left := temps(t, dir); len(left) != 0 {
		t.Fatalf("a failed write left %v", left)
	}
}

func TestWriteFileThroughSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "config")
	os.MkdirAll(filepath.Dir(real), 0o700)
	os.WriteFile(real, []byte("old"), 0o600)
	link := filepath.Join(dir, "config")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	if got := read(t, real); got != "new" {
		t.Fatalf("target holds %q", got)
	}
}

// TestKilledWriterLeavesOldContentAndNextWriteCleans kills a writer (this
// test binary re-executed) with SIGKILL while it writes a large file: the
// old content must survive whole, and the next writer, once it holds the
// lock, removes the temporary files the killed ones left.
func TestKilledWriterLeavesOldContentAndNextWriteCleans(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	old := bytes.Repeat([]byte("old "), 1000)
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
		cmd.Env = append(os.Environ(), "ATOMICFILE_HELPER_PATH="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill as soon as the temporary file exists and has data.
		deadline := time.Now().Add(20 * time.Second)
		for {
			if names := temps(t, dir); len(names) > 0 {
				if fi, err := os.Stat(filepath.Join(dir, names[0])); err == nil && fi.Size() > 0 {
					break
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("the helper never started writing")
			}
			time.Sleep(time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if got := read(t, path); got != string(old) {
			t.Fatalf("round %d: the kill damaged the file (%d bytes)", round, len(got))
		}
	}
	if left := temps(t, dir); len(left) == 0 {
		t.Fatal("the killed writers left no temporary file: the kill came too late to test anything")
	}
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if left := temps(t, dir); len(left) != 0 {
		t.Fatalf("the lock of the next writer left the stale temporary files %v", left)
	}
	if err := WriteFile(path, []byte("next"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "next" {
		t.Fatalf("content %q", got)
	}
}

// TestHelperWriter is the killed writer of the test above.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv("ATOMICFILE_HELPER_PATH")
	if path == "" {
		t.Skip("helper process only")
	}
	// Large enough that the kill lands mid-write.
	_ = WriteFile(path, bytes.Repeat([]byte("new "), 16<<20), 0o600)
	t.Fatal("the write finished before the kill")
}

func TestLockSerialises(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		u, err := Lock(ctx, path)
		if err == nil {
			u()
		}
		done <- err
	}()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "lock") {
		t.Fatalf("a second Lock while held: err = %v", err)
	}
	unlock()
	u, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	u()
}
