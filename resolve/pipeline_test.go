package resolve

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

// gatedStore holds back the write of one hop's session until the next
// hop's AssumeRole has reached STS.
type gatedStore struct {
	Store
	emu      *stsemu.Server
	gated    string // profile whose session write waits
	next     string // role ARN whose call it waits for
	overlaps atomic.Bool
}

func (g *gatedStore) SetSessionSince(gen keychain.Generation, key string, s keychain.Session) error {
	if s.Profile == g.gated {
		deadline := time.Now().Add(5 * time.Second)
		for g.emu.Count("AssumeRole", g.next) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		g.overlaps.Store(g.emu.Count("AssumeRole", g.next) > 0)
	}
	return g.Store.SetSessionSince(gen, key, s)
}

// TestSessionWriteOverlapsNextHop: a hop's session is stored while the
// next hop's STS call is in flight (with the file backend each write is a
// key derivation), and Resolve still returns only once every session of
// the chain is stored.
func TestSessionWriteOverlapsNextHop(t *testing.T) {
	emu := newTestEmulator(t)
	var gate *gatedStore
	ts := newTestResolver(t, emu, func(o *Options) {
		gate = &gatedStore{Store: o.Store, emu: emu, gated: "admin", next: testProdArn}
		o.Store = gate
	})
	if _, err := ts.r.Resolve(context.Background(), "prod"); err != nil {
		t.Fatal(err)
	}
	if !gate.overlaps.Load() {
		t.Error("admin's session was stored before prod's AssumeRole was made: the write is on the critical path")
	}
	for _, profile := range []string{"admin", "prod"} {
		entries, err := ts.store.Sessions(profile)
		if err != nil || len(entries) != 1 || entries[0].Err != nil {
			t.Errorf("%s: sessions stored when Resolve returned = %s", profile, describeEntries(entries, err))
		}
	}
}

func describeEntries(entries []keychain.SessionEntry, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d entries", len(entries))
}
