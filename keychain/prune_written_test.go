package keychain

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// PruneExpired runs right after resolve caches a new session; reading that
// session back would cost a PBKDF2 derivation on the file backend for
// nothing, so a session this Store wrote and knows to be valid is skipped.
func TestPruneSkipsSessionsItWroteAndKnowsValid(t *testing.T) {
	unreadable := errors.New("read must not happen")
	fresh, stale := SessionKey("dev", "fresh"), SessionKey("dev", "stale")

	tests := []struct {
		name       string
		now        time.Time
		wantErr    bool     // the fresh item was read (and failed)
		wantKeys   []string // session keys left
		wantPruned int
	}{
		// Valid by what this Store wrote: not read, kept.
		{"valid", t0, false, []string{fresh}, 1},
		// Expired by the time of the prune: read like any other item.
		{"expired", t0.Add(2 * time.Hour), true, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ring := newMemStore()
			if err := s.SetSession(fresh, stsSession("dev", t0.Add(time.Hour))); err != nil {
				t.Fatal(err)
			}
			// Written by another process: this Store knows nothing of it.
			other, _ := newMemStore()
			other.ring, other.sessions = s.ring, s.sessions
			if err := other.SetSession(stale, stsSession("dev", t0.Add(-time.Minute))); err != nil {
				t.Fatal(err)
			}
			ring.failGet = map[string]error{fresh: unreadable}
			ring.gets = 0

			n, err := s.PruneExpired("dev", tt.now)
			if got := errors.Is(err, unreadable); got != tt.wantErr {
				t.Fatalf("PruneExpired err = %v; fresh item read = %v, want %v", err, got, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if n != tt.wantPruned || ring.gets != 1 {
				t.Fatalf("PruneExpired = %d with %d reads; want %d pruned, 1 read (the other process's item)", n, ring.gets, tt.wantPruned)
			}
			keys, err := sessionKeys(s.sessions, "dev")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("keys left = %q, want %q", keys, tt.wantKeys)
			}
		})
	}
}

// A removed session is forgotten: if it reappears (written by another
// process), it is read again like any other.
func TestPruneForgetsRemovedSessions(t *testing.T) {
	s, ring := newMemStore()
	key := SessionKey("dev", "x")
	if err := s.SetSession(key, stsSession("dev", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSession(key); err != nil {
		t.Fatal(err)
	}
	other, _ := newMemStore()
	other.ring, other.sessions = s.ring, s.sessions
	if err := other.SetSession(key, stsSession("dev", t0.Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	ring.gets = 0
	n, err := s.PruneExpired("dev", t0)
	if err != nil || n != 1 || ring.gets != 1 {
		t.Fatalf("PruneExpired = %d, %v with %d reads; want the reappeared expired session read and pruned", n, err, ring.gets)
	}
}
