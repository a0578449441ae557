package keychain

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/99designs/keyring"
)

// TestSessionFetchedBeforeClearIsNotStored: a session whose fetch began
// (generation read) before ClearSessions — in this Store or in another
// process sharing the generation file — is refused, and the next fetch is
// stored again.
func TestSessionFetchedBeforeClearIsNotStored(t *testing.T) {
	ring := keyring.NewArrayKeyring(nil)
	path := filepath.Join(t.TempDir(), "run", "sessions.generation")
	fetcher, remover := New(ring), New(ring)
	fetcher.ShareGenerations(path, nil)
	remover.ShareGenerations(path, nil)
	exp := time.Now().Add(time.Hour)
	key := SessionKey("prod", "hop")

	for _, clearer := range []*Store{remover, fetcher} {
		gen, err := fetcher.Generation()
		if err != nil {
			t.Fatal(err)
		}
		// ... the AssumeRole is in flight while the key is removed ...
		if _, err := clearer.ClearSessions("dev"); err != nil {
			t.Fatal(err)
		}
		err = fetcher.SetSessionSince(gen, key, stsSession("prod", exp))
		if !errors.Is(err, ErrStaleSession) {
			t.Fatalf("a session fetched before the clear was stored (err %v)", err)
		}
		if _, err := fetcher.Session(key); !errors.Is(err, ErrNotFound) {
			t.Fatalf("session after the refused store: %v", err)
		}
		gen, _ = fetcher.Generation()
		if err := fetcher.SetSessionSince(gen, key, stsSession("prod", exp)); err != nil {
			t.Fatalf("a session fetched after the clear: %v", err)
		}
		if _, err := remover.ClearSessions(""); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGenerationWithinOneProcess: without a shared file the rule holds
// inside the process.
func TestGenerationWithinOneProcess(t *testing.T) {
	s := New(keyring.NewArrayKeyring(nil))
	gen, _ := s.Generation()
	if _, err := s.ClearSessions(""); err != nil {
		t.Fatal(err)
	}
	err := s.SetSessionSince(gen, SessionKey("prod", "hop"), stsSession("prod", time.Now().Add(time.Hour)))
	if !errors.Is(err, ErrStaleSession) {
		t.Fatalf("err = %v", err)
	}
}

// TestGenerationRefusesPlantedLink: the generation file is never written
// through a symlink (the lock directory may be shared ground).
func TestGenerationRefusesPlantedLink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sessions.generation")
	if err := os.Symlink(victim, path); err != nil {
		t.Skip(err)
	}
	s := New(keyring.NewArrayKeyring(nil))
	s.ShareGenerations(path, nil)
	if _, err := s.ClearSessions(""); err == nil {
		t.Fatal("ClearSessions wrote through a planted symlink")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Fatalf("the link's target was overwritten: %q", b)
	}
}
