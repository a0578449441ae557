package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// DefaultTimeout bounds one whole resolution (every hop, retry and lock
// wait): long enough for a 3-hop chain with retries, short enough that a
// silent STS does not hold a terminal or a script for minutes.
const DefaultTimeout = time.Minute

// progressDelay is how long an STS call or lock wait may take before the
// terminal is told what alirole is waiting for; fast calls print nothing.
const progressDelay = time.Second

// errResolveTimeout is the cause of a resolution's context when its total
// time ran out.
var errResolveTimeout = errors.New("resolve timeout")

// TimeoutError reports a resolution that ran out of its total time.
type TimeoutError struct {
	Profile string
	Timeout time.Duration
	// Waiting says what was going on ("AssumeRole for prod").
	Waiting string
	// Last is the error of the last failed attempt, if any.
	Last error
}

func (e *TimeoutError) Error() string {
	msg := fmt.Sprintf("profile %q: gave up after %s (the resolve timeout) waiting for %s", e.Profile, e.Timeout, e.Waiting)
	if e.Last != nil {
		msg += "; last error: " + e.Last.Error()
	}
	check := "check that the STS endpoint is reachable"
	if !strings.HasPrefix(e.Waiting, "AssumeRole") {
		check = "check that " + e.Waiting + " answers"
	}
	return msg + "\n  what to do: " + check + ", or allow more time with --resolve-timeout or ALIROLE_RESOLVE_TIMEOUT"
}

func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// withTimeout bounds a resolution by o.Timeout.
func (r *Resolver) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, r.o.Timeout, errResolveTimeout)
}

// timedOut reports whether ctx ended because the resolve timeout passed.
func timedOut(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), errResolveTimeout)
}

// progress writes one line for the user's terminal (o.Progress is nil when
// stderr is not one, so scripts and logs stay quiet).
func (r *Resolver) progress(format string, args ...any) {
	if r.o.Progress == nil {
		return
	}
	_, _ = fmt.Fprintf(r.o.Progress, "alirole: "+format+"\n", args...)
}

// after runs the progress line f once d has passed, unless stopped first.
func (r *Resolver) after(d time.Duration, format string, args ...any) (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	t := time.AfterFunc(d, func() { r.progress(format, args...) })
	return func() { t.Stop() }
}

// what names a hop's STS call in progress lines and timeout errors.
func (h *hopNode) what() string {
	return fmt.Sprintf("AssumeRole for %s", h.prof.Name)
}

// call makes one AssumeRole attempt. credentials-go takes no context, so
// the call runs aside and is abandoned when the resolution's time runs out
// (it still ends by itself, at its own client timeout).
// stopped is set when the context ended; err then says why.
func (h *hopNode) call(attempt int, last error) (c *providers.Credentials, stopped bool, err error) {
	type answer struct {
		c   *providers.Credentials
		err error
	}
	done := make(chan answer, 1)
	go func() {
		c, err := safeGet(h.inner)
		done <- answer{c, err}
	}()
	suffix := ""
	if attempt > 1 {
		suffix = fmt.Sprintf(", attempt %d/%d", attempt, h.r.o.Attempts)
	}
	stop := h.r.after(progressDelay, "waiting for STS to answer %s (role %s%s)…", h.what(), h.prof.RamRoleArn, suffix)
	defer stop()
	select {
	case a := <-done:
		if a.err != nil && h.ctx.Err() != nil {
			return nil, true, h.ctxError(a.err)
		}
		return a.c, false, a.err
	case <-h.ctx.Done():
		// The hop may be waiting on its source (another hop or a
		// credential_source) that sees the same deadline: let that one
		// name itself, it is what hung.
		if _, keychain := h.prev.(*keychainNode); !keychain {
			select {
			case a := <-done:
				var se sourceError
				if errors.As(a.err, &se) {
					return nil, true, se.err
				}
			case <-time.After(200 * time.Millisecond):
			}
		}
		return nil, true, h.ctxError(last)
	}
}

// ctxError is the error for a hop whose context ended.
func (h *hopNode) ctxError(last error) error {
	if timedOut(h.ctx) {
		if last != nil {
			last = cleanError(last)
		}
		return &TimeoutError{Profile: h.prof.Name, Timeout: h.r.o.Timeout, Waiting: h.what(), Last: last}
	}
	return errf(h.prof.Name, "%s: %w", h.what(), h.ctx.Err())
}

// retrying tells the terminal that attempt next is coming, and why.
func (h *hopNode) retrying(next int, err error) {
	h.r.progress("retrying %s (%d/%d) after %s…", h.what(), next, h.r.o.Attempts, retryReason(err))
}

// retryReason names a retryable failure in a few words.
func retryReason(err error) string {
	if se := parseSTSError(err); se != nil {
		return se.Code
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded),
		strings.Contains(err.Error(), "Client.Timeout exceeded"):
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case strings.Contains(err.Error(), "json.Unmarshal fail"), strings.Contains(err.Error(), refreshFailedPrefix):
		return "an unreadable answer"
	}
	return "an error"
}

// sourceGet asks a credential_source for credentials, like hopNode.call:
// the provider takes no context, so it is abandoned when the resolution's
// time runs out, and a slow one is announced on the terminal.
func (n *providerNode) sourceGet() (*providers.Credentials, error) {
	if n.r == nil || n.ctx == nil {
		return safeGet(n.prov)
	}
	type answer struct {
		c   *providers.Credentials
		err error
	}
	done := make(chan answer, 1)
	go func() {
		c, err := safeGet(n.prov)
		done <- answer{c, err}
	}()
	what := fmt.Sprintf("the %s source of profile %s", n.kind, n.profile)
	stop := n.r.after(progressDelay, "waiting for %s…", what)
	defer stop()
	select {
	case a := <-done:
		return a.c, a.err
	case <-n.ctx.Done():
		if timedOut(n.ctx) {
			return nil, &TimeoutError{Profile: n.profile, Timeout: n.r.o.Timeout, Waiting: what}
		}
		return nil, n.ctx.Err()
	}
}
