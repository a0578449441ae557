//go:build !unix

package harden

import (
	"fmt"
	"os"
)

// GuardStdout keeps the real stdout for the command and points os.Stdout
// (which fmt.Print* and the libraries use) at a pipe that is drained and
// dropped. Children get their streams explicitly (os/exec), never
// os.Stdout implicitly.
func GuardStdout() (*Guard, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("guard stdout: %w", err)
	}
	g := newGuard(os.Stdout)
	go g.drain(r)
	os.Stdout = w
	g.release = func() error { return nil }
	g.stop = func() {
		if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
			os.Stdout = null
		}
		_ = w.Close()
	}
	return g, nil
}
