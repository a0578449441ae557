package keychain

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/creds"
)

// exclusiveRing is a keyring that notes when two calls overlap, as a
// backend unsafe for concurrent use would misbehave.
type exclusiveRing struct {
	keyring.Keyring
	active, overlaps *atomic.Int32
}

func (r exclusiveRing) enter() func() {
	if r.active.Add(1) > 1 {
		r.overlaps.Add(1)
	}
	time.Sleep(200 * time.Microsecond)
	return func() { r.active.Add(-1) }
}

func (r exclusiveRing) Get(k string) (keyring.Item, error) {
	defer r.enter()()
	return r.Keyring.Get(k)
}
func (r exclusiveRing) Set(i keyring.Item) error { defer r.enter()(); return r.Keyring.Set(i) }
func (r exclusiveRing) Remove(k string) error    { defer r.enter()(); return r.Keyring.Remove(k) }
func (r exclusiveRing) Keys() ([]string, error)  { defer r.enter()(); return r.Keyring.Keys() }

// TestStoreSerialisesKeyringCalls: goroutines using one Store (resolve
// stores a hop's session while the next hop reads) never make two keyring
// calls at once, on a plain Store or across both rings of a split one.
func TestStoreSerialisesKeyringCalls(t *testing.T) {
	for _, split := range []bool{false, true} {
		t.Run(fmt.Sprintf("split=%v", split), func(t *testing.T) {
			var active, overlaps atomic.Int32
			keys := exclusiveRing{keyring.NewArrayKeyring(nil), &active, &overlaps}
			s := New(keys)
			if split {
				s = NewSplit(keys, exclusiveRing{keyring.NewArrayKeyring(nil), &active, &overlaps})
			}
			if err := s.SetAccessKey("base", AccessKey{ID: "LTAI5tSerialTestKey00001", Secret: "serial-secret"}); err != nil {
				t.Fatal(err)
			}
			exp := time.Now().Add(time.Hour)
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					key := SessionKey("prod", fmt.Sprint(i))
					sess := Session{Profile: "prod", Credentials: creds.Credentials{AccessKeyID: "STS.x", AccessKeySecret: "s", SecurityToken: "t", Expiration: exp}, Created: time.Now()}
					for range 5 {
						if err := s.SetSession(key, sess); err != nil {
							t.Error(err)
						}
						if _, err := s.Session(key); err != nil {
							t.Error(err)
						}
						if _, err := s.AccessKey("base"); err != nil {
							t.Error(err)
						}
						if _, err := s.PruneExpired("prod", time.Now()); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
			if n := overlaps.Load(); n > 0 {
				t.Errorf("%d keyring calls overlapped another", n)
			}
		})
	}
}
