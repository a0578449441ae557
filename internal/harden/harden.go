// Package harden protects the alirole process from its own libraries and
// from the system: a guarded standard output (credentials-go and the
// Alibaba Cloud SDK print request headers, signed URLs and the raw output
// of credential helpers to os.Stdout, which `eval "$(alirole export P)"`
// would run as shell code), and no core dumps (they would hold the
// AccessKey secret and the file keychain passphrase). main wires it once;
// nothing else touches the process-wide state it changes.
package harden

import (
	"io"
	"os"
	"sync/atomic"
	"time"
)

// Guard holds the real standard output while everything else that writes
// to the process's stdout (os.Stdout, fmt.Print*, and on unix descriptor 1
// itself) goes to a drain that counts and drops it.
type Guard struct {
	real    *os.File
	dropped atomic.Int64
	drained chan struct{}
	// release puts the real stdout back where a replacing program (execve)
	// expects it; stop ends the drain.
	release func() error
	stop    func()
	// coreRestore gives a replacing program the user's core-dump limit.
	coreRestore func() error
}

// Stdout is the real standard output: the only way to it. Commands write
// their own output here and hand it to the children they start.
func (g *Guard) Stdout() *os.File { return g.real }

// HandOver prepares the process for execve of the user's program, after
// which nothing of alirole runs: descriptor 1 is the real stdout again and
// the core-dump limit is the user's own (the program is theirs; alirole's
// secrets are no longer in this process image).
func (g *Guard) HandOver() error {
	if err := g.release(); err != nil {
		return err
	}
	// The drain's last write end is gone: it ends by itself.
	g.stop = func() {}
	if g.coreRestore != nil {
		return g.coreRestore()
	}
	return nil
}

// RestoreOnHandOver adds what HandOver must undo besides the stdout guard
// (the core-dump limit NoCoreDumps lowered).
func (g *Guard) RestoreOnHandOver(restore func() error) { g.coreRestore = restore }

// Close stops the drain and returns how many bytes were dropped.
func (g *Guard) Close() int64 {
	g.stop()
	select {
	case <-g.drained:
	case <-time.After(200 * time.Millisecond):
		// A child may hold the write end; the count is then a lower bound.
	}
	return g.dropped.Load()
}

// drain counts and discards what is read from r until EOF.
func (g *Guard) drain(r io.ReadCloser) {
	defer close(g.drained)
	defer r.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		g.dropped.Add(int64(n))
		if err != nil {
			return
		}
	}
}

func newGuard(real *os.File) *Guard {
	return &Guard{real: real, drained: make(chan struct{}), release: func() error { return nil }, stop: func() {}}
}
