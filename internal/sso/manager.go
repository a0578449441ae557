package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alirole/alirole/internal/atomicfile"
	"github.com/alirole/alirole/internal/signinlock"
	"github.com/alirole/alirole/keychain"
)

// TokenStore keeps access tokens; *keychain.Store implements it.
type TokenStore interface {
	SSOToken(signInURL string) (keychain.SSOToken, error)
	SetSSOToken(t keychain.SSOToken) error
	RemoveSSOToken(signInURL string) error
}

// MinValidity is how long a stored token must still be valid to be used:
// it is spent at once on one /cloud-credentials call.
const MinValidity = 30 * time.Second

// ErrNoInteraction means a sign-in is needed but nobody can see it: no
// terminal to show the code and no browser to open.
var ErrNoInteraction = errors.New("a CloudSSO sign-in is needed, but there is no terminal and no browser")

// Manager hands out access tokens, signing in when none is valid. One
// sign-in per sign-in URL happens at a time across every alirole process
// (a flock(2) lock per URL): the others wait for it and use its token.
type Manager struct {
	Store   TokenStore
	LockDir string
	// Portal returns the portal client for a sign-in URL.
	Portal func(signInURL string) *Portal
	// OpenTerminal opens the terminal for the code and progress lines
	// (the controlling terminal, /dev/tty); an error means there is none.
	OpenTerminal func() (io.WriteCloser, error)
	// Stderr takes those lines when there is no terminal.
	Stderr io.Writer
	// Browser opens a URL; nil when there is none (--no-browser, no display).
	Browser func(ctx context.Context, url string) error
	Now     func() time.Time
	Sleep   func(ctx context.Context, d time.Duration) error
	// LoginTimeout bounds one sign-in (default DefaultLoginTimeout).
	LoginTimeout time.Duration
	Log          *slog.Logger
	// LoginHint names the command that signs in, for errors
	// ("alirole sso login prod").
	LoginHint func(signInURL string) string

	mu       sync.Mutex
	rejected map[string]string // sign-in URL -> token the portal refused
}

func (m *Manager) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return m.Log
}

func (m *Manager) hint(signInURL string) string {
	if m.LoginHint != nil {
		return m.LoginHint(signInURL)
	}
	return "alirole sso login --sign-in-url " + signInURL
}

// usable reports whether t can be handed out.
func (m *Manager) usable(signInURL string, t keychain.SSOToken) bool {
	m.mu.Lock()
	bad := m.rejected[signInURL]
	m.mu.Unlock()
	return t.AccessToken != "" && t.AccessToken != bad && t.Expires.After(m.now().Add(MinValidity))
}

// Rejected records that the portal refused token: it is not handed out
// again, and the next Token call signs in anew.
func (m *Manager) Rejected(signInURL, token string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rejected == nil {
		m.rejected = map[string]string{}
	}
	m.rejected[signInURL] = token
}

// Token returns a valid access token for signInURL and its expiry,
// signing in (or waiting for another process's sign-in) when needed.
func (m *Manager) Token(ctx context.Context, signInURL string) (string, time.Time, error) {
	if t, err := m.Store.SSOToken(signInURL); err == nil && m.usable(signInURL, t) {
		m.log().Debug("CloudSSO token from keychain", "sign_in_url", signInURL, "expires", t.Expires.Format(time.RFC3339))
		return t.AccessToken, t.Expires, nil
	}
	t, err := m.signIn(ctx, signInURL, false)
	if err != nil {
		return "", time.Time{}, err
	}
	return t.AccessToken, t.Expires, nil
}

// Login signs in to signInURL now (alirole sso login): force skips a token
// that is still valid.
func (m *Manager) Login(ctx context.Context, signInURL string, force bool) (keychain.SSOToken, error) {
	return m.signIn(ctx, signInURL, force)
}

// signIn takes the URL's lock, rechecks the keychain (another process may
// have signed in meanwhile) and runs the device flow.
func (m *Manager) signIn(ctx context.Context, signInURL string, force bool) (keychain.SSOToken, error) {
	base := signinlock.Base(m.LockDir, "sso-", signInURL)
	fl, err := signinlock.New(m.LockDir, base)
	if err != nil {
		return keychain.SSOToken{}, err
	}
	started := m.now()
	ok, err := fl.TryLock()
	if err != nil {
		return keychain.SSOToken{}, fmt.Errorf("lock %s: %w", fl.Path(), err)
	}
	waited := false
	if !ok {
		waited = true
		out, closeOut := m.output()
		fmt.Fprintf(out, "alirole: another alirole process is signing in to CloudSSO (%s); waiting for it\n", signInURL)
		closeOut()
		timeout := m.loginTimeout() + 30*time.Second
		if err := signinlock.Wait(ctx, fl, timeout, 50*time.Millisecond); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return keychain.SSOToken{}, fmt.Errorf("timed out after %s waiting for another alirole process to finish signing in to CloudSSO (%s)", timeout, signInURL)
			}
			return keychain.SSOToken{}, fmt.Errorf("wait for CloudSSO sign-in lock: %w", err)
		}
	}
	defer func() { _ = fl.Unlock() }()

	if !force || waited {
		if t, err := m.Store.SSOToken(signInURL); err == nil && m.usable(signInURL, t) {
			m.log().Debug("CloudSSO token stored by another process", "sign_in_url", signInURL)
			return t, nil
		}
	}
	if waited {
		// The process we waited for failed: do not start one sign-in
		// after another in every waiting process.
		if at, ok := readFailure(base + ".failed"); ok && !at.Before(started.Truncate(time.Second)) {
			return keychain.SSOToken{}, fmt.Errorf("the CloudSSO sign-in in another alirole process did not complete; run '%s' and approve it", m.hint(signInURL))
		}
	}
	t, err := m.loginLocked(ctx, signInURL)
	if err != nil {
		// Waiters give up too, rather than each starting a sign-in of
		// its own; not when this process merely could not show one (a
		// waiter with a terminal can).
		if ctx.Err() == nil && !errors.Is(err, ErrNoInteraction) {
			writeFailure(base+".failed", m.now())
		}
		return keychain.SSOToken{}, err
	}
	if err := m.Store.SetSSOToken(t); err != nil {
		return keychain.SSOToken{}, fmt.Errorf("store the CloudSSO token in the keychain: %w", err)
	}
	m.mu.Lock()
	delete(m.rejected, signInURL)
	m.mu.Unlock()
	return t, nil
}

func (m *Manager) loginTimeout() time.Duration {
	if m.LoginTimeout <= 0 {
		return DefaultLoginTimeout
	}
	return m.LoginTimeout
}

// output is the terminal if there is one, else stderr.
func (m *Manager) output() (io.Writer, func()) {
	if m.OpenTerminal != nil {
		if tty, err := m.OpenTerminal(); err == nil {
			return tty, func() { _ = tty.Close() }
		}
	}
	if m.Stderr != nil {
		return m.Stderr, func() {}
	}
	return io.Discard, func() {}
}

func (m *Manager) loginLocked(ctx context.Context, signInURL string) (keychain.SSOToken, error) {
	var (
		out      io.Writer = io.Discard
		closeOut           = func() {}
		haveTTY  bool
	)
	if m.OpenTerminal != nil {
		if tty, err := m.OpenTerminal(); err == nil {
			out, closeOut, haveTTY = tty, func() { _ = tty.Close() }, true
		}
	}
	defer closeOut()
	if !haveTTY && m.Browser == nil {
		return keychain.SSOToken{}, fmt.Errorf("%w: run '%s' in a terminal first", ErrNoInteraction, m.hint(signInURL))
	}
	if !haveTTY && m.Stderr != nil {
		out = m.Stderr
	}
	m.log().Debug("starting CloudSSO device authorization", "sign_in_url", signInURL)
	return Login(ctx, LoginOptions{
		Portal:  m.Portal(signInURL),
		UI:      UI{Out: out, Open: m.Browser},
		Now:     m.Now,
		Sleep:   m.Sleep,
		Timeout: m.loginTimeout(),
	})
}

// Logout removes the token of signInURL; ok is false when there was none.
func (m *Manager) Logout(signInURL string) (bool, error) {
	err := m.Store.RemoveSSOToken(signInURL)
	if errors.Is(err, keychain.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// The failure marker holds only a unix time; it is written like every
// file alirole writes (internal/atomicfile), so a reader never sees half
// of it. A failed write only costs the waiters their early exit.
func writeFailure(path string, at time.Time) {
	_ = atomicfile.WriteFile(path, []byte(strconv.FormatInt(at.Unix(), 10)), 0o600)
}

func readFailure(path string) (time.Time, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}
