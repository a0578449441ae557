package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/alirole/alirole/internal/clock"
	"github.com/alirole/alirole/keychain"
)

// DefaultLoginTimeout bounds one sign-in: the time the person has to
// approve it in the browser.
const DefaultLoginTimeout = 10 * time.Minute

// slowDownStep is how much a SlowDown answer adds to the polling interval
// (RFC 8628 §3.5: "increased by 5 seconds for this and all subsequent
// requests").
const slowDownStep = 5 * time.Second

// UI is where a sign-in talks to the person.
type UI struct {
	// Out receives the URL, the user code and progress lines: the terminal
	// when there is one, else stderr.
	Out io.Writer
	// Open opens a URL in the browser; nil when there is none
	// (--no-browser, no display).
	Open func(ctx context.Context, url string) error
}

// LoginOptions configures Login.
type LoginOptions struct {
	Portal *Portal
	UI     UI
	// Now and Sleep are the clock (defaults: time.Now, a timer).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Timeout bounds the whole sign-in (default DefaultLoginTimeout).
	Timeout time.Duration
	// Rand is the source of the PKCE verifier (default crypto/rand).
	Rand io.Reader
}

// NewVerifier returns a fresh PKCE code verifier (RFC 7636: 43-128
// unreserved characters; 64 random bytes give 86) and its S256 challenge.
func NewVerifier(r io.Reader) (verifier, challenge string, err error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 64)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", "", fmt.Errorf("make PKCE verifier: %w", err)
	}
	verifier = base64.RawURLEncoding.EncodeToString(b)
	return verifier, Challenge(verifier), nil
}

// Challenge is the S256 code challenge of verifier.
func Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ErrExpired means the device code expired before the sign-in was approved.
var ErrExpired = errors.New("the sign-in request expired before it was approved")

// ErrTimeout means the sign-in was not approved within the time allowed.
var ErrTimeout = errors.New("the sign-in was not approved in time")

// Login runs one device authorization: it shows the verification URL and
// user code, opens the browser, and polls until the person approves.
func Login(ctx context.Context, o LoginOptions) (keychain.SSOToken, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultLoginTimeout
	}
	out := o.UI.Out
	if out == nil {
		out = io.Discard
	}
	verifier, challenge, err := NewVerifier(o.Rand)
	if err != nil {
		return keychain.SSOToken{}, err
	}
	p := o.Portal
	da, err := p.StartDeviceAuthorization(ctx, challenge)
	if err != nil {
		return keychain.SSOToken{}, fmt.Errorf("start CloudSSO sign-in at %s: %w", p.SignInURL, err)
	}
	fmt.Fprintf(out, "alirole: CloudSSO sign-in for %s\n  Open: %s\n  Code: %s\n", p.SignInURL, da.VerificationURI, da.UserCode)
	complete := da.VerificationURIComplete
	if complete == "" {
		complete = da.VerificationURI
	}
	if o.UI.Open != nil {
		if err := o.UI.Open(ctx, complete); err != nil {
			fmt.Fprintf(out, "alirole: could not open a browser (%v); open the address above yourself\n", err)
		} else {
			fmt.Fprintln(out, "alirole: opened the sign-in page in your browser; approve the request there (check that the code matches)")
		}
	} else {
		fmt.Fprintln(out, "alirole: open the address above in a browser and approve the request")
	}

	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second
	}
	deadline := o.Now().Add(o.Timeout)
	transient := 0
	for {
		if !o.Now().Add(interval).Before(deadline) {
			return keychain.SSOToken{}, fmt.Errorf("%w: gave up after %s (approve the request sooner, or raise --login-timeout)", ErrTimeout, o.Timeout)
		}
		if err := o.Sleep(ctx, interval); err != nil {
			return keychain.SSOToken{}, fmt.Errorf("CloudSSO sign-in: %w", err)
		}
		tok, err := p.CreateToken(ctx, da.DeviceCode, verifier)
		if err == nil {
			now := o.Now()
			t := keychain.SSOToken{SignInURL: p.SignInURL, AccessToken: tok.AccessToken, Expires: expiresAt(now, tok.ExpiresIn), Created: now.UTC().Truncate(time.Second)}
			fmt.Fprintf(out, "alirole: signed in to CloudSSO; the sign-in lasts until %s\n", t.Expires.Local().Format("2006-01-02 15:04 MST"))
			return t, nil
		}
		var pe *PortalError
		switch {
		case errors.As(err, &pe) && pe.Code == CodePending:
			transient = 0
		case errors.As(err, &pe) && pe.Code == CodeSlowDown:
			interval += slowDownStep
			fmt.Fprintf(out, "alirole: the portal asked to poll more slowly; now every %s\n", interval)
		case errors.As(err, &pe) && pe.Code == CodeExpired:
			return keychain.SSOToken{}, fmt.Errorf("%w (%s): run the command again and approve it in the browser sooner", ErrExpired, pe.Code)
		case errors.Is(err, errBadAnswer), errors.As(err, &pe) && pe.Status < http.StatusInternalServerError:
			return keychain.SSOToken{}, fmt.Errorf("CloudSSO sign-in at %s: %w", p.SignInURL, err)
		default:
			// Network trouble or a 5xx: retry a few times at the interval.
			transient++
			if transient > 3 {
				return keychain.SSOToken{}, fmt.Errorf("CloudSSO sign-in at %s: %w", p.SignInURL, err)
			}
		}
	}
}
