package exec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"
)

// stdio connects a Spec's streams to a child: *os.File values are handed
// over directly (the usual case: the wrapper's own terminal), anything else
// through a pipe copied by a goroutine.
type stdio struct {
	// files are the child's descriptors 0, 1 and 2.
	files [3]*os.File
	// childEnds are descriptors opened here only for the child; they are
	// closed once it has started so that EOF propagates.
	childEnds []*os.File
	// stdinW feeds a non-file Stdin; closed when the child exits.
	stdinW   *os.File
	stdinSrc io.Reader
	// outputs are pipe read ends to copy into non-file writers.
	outputs []output

	wg      sync.WaitGroup
	errOnce sync.Once
	err     error
}

type output struct {
	r *os.File
	w io.Writer
}

// asFile returns v as a non-nil *os.File, if it is one.
func asFile(v any) (*os.File, bool) {
	f, ok := v.(*os.File)
	return f, ok && f != nil
}

// isNil treats a typed nil (say a nil *bytes.Buffer) like an absent stream.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// sameWriter reports whether a and b are the same writer, without the panic
// that == raises on uncomparable dynamic types.
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil {
		return false
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

func openStdio(s Spec) (*stdio, error) {
	st := &stdio{}
	fail := func(err error) (*stdio, error) {
		st.closeAll()
		return nil, err
	}

	switch {
	case isNil(s.Stdin):
		f, err := os.Open(os.DevNull)
		if err != nil {
			return fail(fmt.Errorf("open stdin: %w", err))
		}
		st.files[0] = f
		st.childEnds = append(st.childEnds, f)
	default:
		if f, ok := asFile(s.Stdin); ok {
			st.files[0] = f
			break
		}
		r, w, err := os.Pipe()
		if err != nil {
			return fail(fmt.Errorf("stdin pipe: %w", err))
		}
		st.files[0] = r
		st.childEnds = append(st.childEnds, r)
		st.stdinW, st.stdinSrc = w, s.Stdin
	}

	for i, w := range []io.Writer{s.Stdout, s.Stderr} {
		fd := i + 1
		switch {
		case isNil(w):
			f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return fail(fmt.Errorf("open output %d: %w", fd, err))
			}
			st.files[fd] = f
			st.childEnds = append(st.childEnds, f)
		case fd == 2 && sameWriter(s.Stdout, s.Stderr):
			// One pipe for both keeps the writer free of concurrent
			// writes and preserves the interleaving.
			st.files[2] = st.files[1]
		default:
			if f, ok := asFile(w); ok {
				st.files[fd] = f
				break
			}
			r, pw, err := os.Pipe()
			if err != nil {
				return fail(fmt.Errorf("output %d pipe: %w", fd, err))
			}
			st.files[fd] = pw
			st.childEnds = append(st.childEnds, pw)
			st.outputs = append(st.outputs, output{r: r, w: w})
		}
	}
	return st, nil
}

// started closes the child's ends and starts copying.
func (st *stdio) started() {
	for _, f := range st.childEnds {
		_ = f.Close()
	}
	st.childEnds = nil
	if st.stdinW != nil {
		// Not waited for: a Stdin that blocks forever (a terminal, a
		// network stream) must not keep Run from returning. Its errors are
		// the child's business (EPIPE once the child stops reading).
		go func(w *os.File, src io.Reader) {
			_, _ = io.Copy(w, src)
			_ = w.Close()
		}(st.stdinW, st.stdinSrc)
	}
	for _, o := range st.outputs {
		st.wg.Add(1)
		go func(o output) {
			defer st.wg.Done()
			if _, err := io.Copy(o.w, o.r); err != nil {
				st.errOnce.Do(func() { st.err = err })
			}
		}(o)
	}
}

// finish runs after the child exited: it waits until the output pipes are
// drained (which lasts as long as any process the child left behind keeps
// them open) and returns the first copy error.
func (st *stdio) finish() error {
	if st.stdinW != nil {
		// Unblocks a copier stuck writing to a pipe nobody reads.
		_ = st.stdinW.Close()
	}
	st.wg.Wait()
	for _, o := range st.outputs {
		_ = o.r.Close()
	}
	if st.err != nil && !errors.Is(st.err, os.ErrClosed) {
		return fmt.Errorf("copy output: %w", st.err)
	}
	return nil
}

// closeAll releases everything when the child could not be started.
func (st *stdio) closeAll() {
	for _, f := range st.childEnds {
		_ = f.Close()
	}
	if st.stdinW != nil {
		_ = st.stdinW.Close()
	}
	for _, o := range st.outputs {
		_ = o.r.Close()
	}
}
