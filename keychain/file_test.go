//go:build !windows

package keychain

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	testPassphrase = "correct horse battery staple"
	akSecret       = "Zk3rT9SuperSecretAccessKeyValue"
	stsSecret      = "Yp2StsSecretValueForTheSession"
	stsToken       = "CAIS-SecurityTokenValue-0123456789"
)

func openFile(t *testing.T, dir, passphrase string) *Store {
	t.Helper()
	ring, err := Open(Options{
		Backend:    "file",
		FileDir:    dir,
		Passphrase: func(string) (string, error) { return passphrase, nil },
	})
	if err != nil {
		t.Fatalf("Open(file): %v", err)
	}
	return New(ring)
}

func fileSession(profile string, exp time.Time) Session {
	sess := stsSession(profile, exp)
	sess.Credentials.AccessKeySecret = stsSecret
	sess.Credentials.SecurityToken = stsToken
	return sess
}

func TestFileBackendRoundTripAndNoPlaintext(t *testing.T) {
	// umask 0 so the modes seen are the ones alirole and the library ask for.
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	dir := filepath.Join(t.TempDir(), "keys")
	s := openFile(t, dir, testPassphrase)
	ak := AccessKey{ID: "LTAI5tFileBackendID", Secret: akSecret}
	if err := s.SetAccessKey("dev", ak); err != nil {
		t.Fatal(err)
	}
	key := SessionKey("dev", "hop")
	sess := fileSession("dev", t0)
	if err := s.SetSession(key, sess); err != nil {
		t.Fatal(err)
	}

	// A fresh Open (new process) reads them back.
	s2 := openFile(t, dir, testPassphrase)
	if got, err := s2.AccessKey("dev"); err != nil || got != ak {
		t.Fatalf("AccessKey = %+v, %v", got, err)
	}
	got, err := s2.Session(key)
	if err != nil || got.Credentials.SecurityToken != stsToken || !got.Credentials.Expiration.Equal(t0) {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if profiles, err := s2.Profiles(); err != nil || !slices.Equal(profiles, []string{"dev"}) {
		t.Errorf("Profiles = %q, %v", profiles, err)
	}

	secrets := []string{akSecret, stsSecret, stsToken, testPassphrase}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if perm := info.Mode().Perm(); perm != 0o700 {
				t.Errorf("dir %s mode %o, want 700", path, perm)
			}
			return nil
		}
		if !strings.Contains(path, stagingName) {
			files++
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("file %s mode %o, want 600", path, perm)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, sec := range secrets {
			for _, form := range []string{sec, base64.RawURLEncoding.EncodeToString([]byte(sec)), base64.StdEncoding.EncodeToString([]byte(sec))} {
				if bytes.Contains(raw, []byte(form)) {
					t.Errorf("%s contains a secret in clear", path)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 2 {
		t.Errorf("found %d item files, want 2", files)
	}
}

func TestFileBackendTightensExistingPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	item := filepath.Join(dir, "old")
	if err := os.WriteFile(item, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(item, 0o644); err != nil {
		t.Fatal(err)
	}
	openFile(t, dir, testPassphrase)
	for path, want := range map[string]fs.FileMode{dir: 0o700, item: 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %o, want %o", path, st.Mode().Perm(), want)
		}
	}
}

func TestFileBackendWrongPassphrase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s := openFile(t, dir, testPassphrase)
	if err := s.SetAccessKey("dev", AccessKey{ID: "id", Secret: akSecret}); err != nil {
		t.Fatal(err)
	}
	expired := SessionKey("dev", "old")
	if err := s.SetSession(expired, fileSession("dev", t0.Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	before := fileNames(t, dir)

	wrong := openFile(t, dir, "not the passphrase")
	_, err := wrong.AccessKey("dev")
	if !errors.Is(err, ErrWrongPassphrase) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("AccessKey with wrong passphrase: err = %v, want ErrWrongPassphrase", err)
	}
	if _, err := wrong.Session(expired); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("Session with wrong passphrase: err = %v", err)
	}
	// Nothing gets deleted or written under the wrong passphrase.
	if n, err := wrong.PruneExpired("", t0); err == nil || n != 0 {
		t.Errorf("PruneExpired with wrong passphrase = %d, %v; want an error", n, err)
	}
	if err := wrong.SetAccessKey("prod", AccessKey{ID: "id", Secret: "x"}); !errors.Is(err, ErrWrongPassphrase) {
		t.Errorf("SetAccessKey with wrong passphrase: err = %v", err)
	}
	if after := fileNames(t, dir); !slices.Equal(before, after) {
		t.Errorf("files changed under a wrong passphrase: %q -> %q", before, after)
	}
	if _, err := openFile(t, dir, testPassphrase).AccessKey("dev"); err != nil {
		t.Errorf("item unreadable with the right passphrase afterwards: %v", err)
	}
}

func TestFileBackendPassphraseSourceErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if err := openFile(t, dir, testPassphrase).SetAccessKey("dev", AccessKey{ID: "id", Secret: akSecret}); err != nil {
		t.Fatal(err)
	}
	noTTY := errors.New("the file keychain needs a passphrase")
	for name, pass := range map[string]func(string) (string, error){
		"source fails": func(string) (string, error) { return "", noTTY },
		"empty":        func(string) (string, error) { return "", nil },
	} {
		ring, err := Open(Options{Backend: "file", FileDir: dir, Passphrase: pass})
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(ring).AccessKey("dev")
		if err == nil || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s: err = %v, want the passphrase source's error", name, err)
		}
		if name == "source fails" && !errors.Is(err, noTTY) {
			t.Errorf("%s: err = %v does not wrap the source error", name, err)
		}
	}
}

func TestFileBackendCorruptItems(t *testing.T) {
	tests := map[string]func([]byte) []byte{
		"truncated":     func(b []byte) []byte { return b[:len(b)/2] },
		"cut tag":       func(b []byte) []byte { return b[:len(b)-3] },
		"empty":         func([]byte) []byte { return nil },
		"garbage":       func([]byte) []byte { return []byte("\x00\xffnot a jwe at all") },
		"five garbage":  func([]byte) []byte { return []byte("a.b.c.d.e") },
		"flipped bytes": flipCiphertext,
		"short wrapped key": func(b []byte) []byte {
			parts := strings.Split(string(b), ".")
			parts[1] = "AAAA"
			return []byte(strings.Join(parts, "."))
		},
		"zero iterations": func(b []byte) []byte {
			parts := strings.Split(string(b), ".")
			parts[0] = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"PBES2-HS256+A128KW","enc":"A256GCM","p2c":0,"p2s":""}`))
			return []byte(strings.Join(parts, "."))
		},
	}
	for name, damage := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			s := openFile(t, dir, testPassphrase)
			if err := s.SetAccessKey("dev", AccessKey{ID: "id", Secret: akSecret}); err != nil {
				t.Fatal(err)
			}
			good, bad := SessionKey("dev", "good"), SessionKey("dev", "bad")
			for _, k := range []string{good, bad} {
				if err := s.SetSession(k, fileSession("dev", t0.Add(time.Hour))); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, bad)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, damage(raw), 0o600); err != nil {
				t.Fatal(err)
			}

			s = openFile(t, dir, testPassphrase)
			if _, err := s.Session(bad); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Session(damaged) err = %v, want ErrCorrupt", err)
			}
			entries, err := s.Sessions("dev")
			if err != nil || len(entries) != 2 {
				t.Fatalf("Sessions = %v, %v", entries, err)
			}
			n, err := s.PruneExpired("dev", t0)
			if err != nil || n != 1 {
				t.Fatalf("PruneExpired = %d, %v; want the damaged one removed", n, err)
			}
			if got := fileNames(t, dir); !slices.Equal(got, sorted("dev", good)) {
				t.Errorf("files after prune = %q", got)
			}
		})
	}
}

// flipCiphertext damages the encrypted payload of a compact JWE while
// keeping its shape, so only authenticated decryption can notice.
func flipCiphertext(b []byte) []byte {
	parts := strings.Split(string(b), ".")
	ct := []byte(parts[3])
	if ct[0] == 'A' {
		ct[0] = 'B'
	} else {
		ct[0] = 'A'
	}
	parts[3] = string(ct)
	return []byte(strings.Join(parts, "."))
}

func TestFileBackendClearAndPrune(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s := openFile(t, dir, testPassphrase)
	for _, p := range []string{"dev", "dev2", "prod"} {
		if err := s.SetAccessKey(p, AccessKey{ID: "id-" + p, Secret: akSecret}); err != nil {
			t.Fatal(err)
		}
	}
	devA, devB := SessionKey("dev", "a"), SessionKey("dev", "b")
	dev2A, prodA := SessionKey("dev2", "a"), SessionKey("prod", "a")
	for k, sess := range map[string]Session{
		devA:  fileSession("dev", t0.Add(-time.Minute)),
		devB:  fileSession("dev", t0.Add(time.Hour)),
		dev2A: fileSession("dev2", t0.Add(-time.Minute)),
		prodA: fileSession("prod", t0.Add(-time.Minute)),
	} {
		if err := s.SetSession(k, sess); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneExpired("dev", t0)
	if err != nil || n != 1 {
		t.Fatalf("PruneExpired(dev) = %d, %v", n, err)
	}
	if got := fileNames(t, dir); !slices.Equal(got, sorted("dev", "dev2", "prod", devB, dev2A, prodA)) {
		t.Errorf("after prune: %q", got)
	}
	n, err = s.ClearSessions("dev")
	if err != nil || n != 1 {
		t.Fatalf("ClearSessions(dev) = %d, %v", n, err)
	}
	if got := fileNames(t, dir); !slices.Equal(got, sorted("dev", "dev2", "prod", dev2A, prodA)) {
		t.Errorf("after clear: %q", got)
	}
	if err := s.RemoveAccessKey("dev2"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveAccessKey("dev2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	if err := s.RemoveSession(devA); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove pruned session: %v", err)
	}
}

func fileNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue // the staging directory of crash-safe writes
		}
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// TestFileBackendWritesAreCrashSafe: an item is replaced by rename, never
// rewritten in place (a kill mid-write then leaves the old item whole),
// and what a killed writer left in the staging directory is removed by the
// next write and never listed.
func TestFileBackendWritesAreCrashSafe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s := openFile(t, dir, testPassphrase)
	if err := s.SetAccessKey("dev", AccessKey{ID: "LTAI5tOld", Secret: akSecret}); err != nil {
		t.Fatal(err)
	}
	item := filepath.Join(dir, "dev")
	// Hold the old item open: an in-place write would change what this
	// descriptor reads, a rename leaves it on the old inode.
	f, err := os.Open(item)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	oldBytes, _ := os.ReadFile(item)
	// A killed writer's torn staged item.
	staged := filepath.Join(dir, stagingName, "items")
	if err := os.MkdirAll(staged, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(staged, "dev"), oldBytes[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.Profiles(); !slices.Equal(keys, []string{"dev"}) {
		t.Fatalf("profiles = %v (the staging directory must not be listed)", keys)
	}
	if err := s.SetAccessKey("dev", AccessKey{ID: "LTAI5tNew", Secret: akSecret}); err != nil {
		t.Fatal(err)
	}
	held, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(held, oldBytes) {
		t.Fatal("the item was rewritten in place")
	}
	if got, err := openFile(t, dir, testPassphrase).AccessKey("dev"); err != nil || got.ID != "LTAI5tNew" {
		t.Fatalf("after the write: %v %v", got, err)
	}
	if left := fileNames(t, staged); len(left) != 0 {
		t.Fatalf("staging directory still holds %v", left)
	}
}
