package resolve

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/keychain"
)

// TestDefaultLockDirReadsGetenvOnly: the lock directory comes from the
// environment given, never from the process's.
func TestDefaultLockDirReadsGetenvOnly(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/process/run")
	t.Setenv("XDG_CACHE_HOME", "/process/cache")
	t.Setenv("HOME", "/process/home")
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cases := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"XDG_RUNTIME_DIR": "/run/user/7", "HOME": "/h"}, "/run/user/7/alirole"},
		{map[string]string{"XDG_CACHE_HOME": "/c", "HOME": "/h"}, "/c/alirole/locks"},
		{map[string]string{"HOME": "/h"}, "/h/.cache/alirole/locks"},
	}
	for _, c := range cases {
		got, err := DefaultLockDir(env(c.vars))
		if err != nil || got != filepath.FromSlash(c.want) {
			t.Errorf("DefaultLockDir(%v) = %q, %v; want %q", c.vars, got, err, c.want)
		}
	}
	if _, err := DefaultLockDir(env(nil)); err == nil {
		t.Error("no runtime dir, cache dir or home: want an error")
	}
	for goos, want := range map[string]string{"linux": "/h/.cache", "darwin": "/h/Library/Caches", "windows": `C:\L`} {
		got, err := userCacheDir(env(map[string]string{"HOME": "/h", "LocalAppData": `C:\L`}), goos)
		if err != nil || got != filepath.FromSlash(want) && got != want {
			t.Errorf("%s: userCacheDir = %q, %v; want %q", goos, got, err, want)
		}
	}
}

// TestNewNeedsLockDir: a caching resolver without a lock directory is an
// error, not a directory picked from the process environment.
func TestNewNeedsLockDir(t *testing.T) {
	cfg, err := config.Parse("config", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	store := keychain.New(keyring.NewArrayKeyring(nil))
	if _, err := New(Options{Config: cfg, Store: store}); err == nil || !strings.Contains(err.Error(), "lock directory") {
		t.Errorf("New without LockDir: err = %v", err)
	}
	if _, err := New(Options{Config: cfg, Store: store, NoCache: true}); err != nil {
		t.Errorf("New without LockDir but NoCache: %v", err)
	}
}
