// Package ramkeys rotates a long-term AccessKey through RAM: create a new
// key, prove it works, store it, then delete the old one, so that at every
// point exactly one known key is both active and stored.
package ramkeys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/alirole/alirole/internal/clock"
	"github.com/alirole/alirole/keychain"
)

// Steps of a rotation, as reported in Error.Step.
const (
	StepCheck  = "check the current key"
	StepCreate = "create the new key"
	StepVerify = "verify the new key"
	StepStore  = "store the new key"
	StepDelete = "delete the old key"
)

// DefaultAttempts is how often a step that waits for RAM to propagate a new
// key is tried; with the default backoff that spans about 24 s.
const DefaultAttempts = 8

// Options wires a rotation to RAM, STS and the keychain.
type Options struct {
	RAM RAM
	// Identify returns the ARN STS reports for a key (GetCallerIdentity).
	Identify func(ctx context.Context, k keychain.AccessKey) (string, error)
	// Save stores the new key in place of the old one.
	Save func(k keychain.AccessKey) error
	// ClearSessions drops the cached sessions made with the old key and
	// returns how many there were. Optional.
	ClearSessions func() (int, error)
	// Sleep waits between attempts and returns early with ctx's error
	// (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// Attempts bounds the propagation waits (default DefaultAttempts).
	Attempts int
	// Backoff is the wait before attempt n+1 (default 250 ms doubling,
	// capped at 8 s).
	Backoff func(n int) time.Duration
	// Log gets progress at debug level; never secrets.
	Log *slog.Logger
}

// Result describes a finished rotation.
type Result struct {
	OldID, NewID string
	// Identity is the ARN both keys belong to.
	Identity string
	// Cleared is the number of cached sessions removed.
	Cleared int
	// Warnings are problems that did not stop the rotation.
	Warnings []string
}

// Error is a failed rotation. Active is the key that works and is stored
// in the keychain; Stray, when set, is a key that still exists in RAM but
// should not (delete it by hand).
type Error struct {
	Step   string
	Active string
	Stray  string
	Advice string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rotate: %s: %v", e.Step, e.Err)
	if e.Active != "" {
		fmt.Fprintf(&b, "\nThe active key is %s; it is the one stored in the keychain.", e.Active)
	}
	if e.Stray != "" {
		fmt.Fprintf(&b, "\nAccessKey %s still exists in RAM and is not stored anywhere by alirole: delete it in the RAM console or with 'aliyun ram DeleteAccessKey --UserAccessKeyId %s'.", e.Stray, e.Stray)
	}
	if e.Advice != "" {
		b.WriteString("\n" + e.Advice)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Rotate replaces old (which must work) with a new AccessKey of the same
// RAM user.
func Rotate(ctx context.Context, o Options, old keychain.AccessKey) (Result, error) {
	o = o.withDefaults()
	res := Result{OldID: old.ID}

	who, err := o.Identify(ctx, old)
	if err != nil {
		advice := "Nothing was changed. The stored key " + old.ID + " does not work; replace it with 'alirole add'."
		var coded interface{ ErrorCode() string }
		if !errors.As(err, &coded) || !strings.HasPrefix(coded.ErrorCode(), "InvalidAccessKeyId") && coded.ErrorCode() != "SignatureDoesNotMatch" {
			// No verdict of STS about the key: it may work fine.
			advice = "Nothing was changed. STS could not check the stored key " + old.ID + ": fix the network or the STS endpoint (--sts-endpoint, ALIROLE_STS_ENDPOINT) and try again."
		}
		return res, &Error{Step: StepCheck, Err: err, Advice: advice}
	}
	res.Identity = who
	o.Log.Debug("rotate: current key checked", "key", old.ID, "identity", who)

	fresh, err := o.RAM.CreateAccessKey(ctx, old)
	if err != nil {
		return res, o.createFailed(ctx, old, err)
	}
	res.NewID = fresh.ID
	o.Log.Debug("rotate: new key created", "key", fresh.ID)

	if err := o.verify(ctx, fresh, who); err != nil {
		return res, o.rollback(ctx, StepVerify, old, fresh, err)
	}
	if err := o.Save(fresh); err != nil {
		return res, o.rollback(ctx, StepStore, old, fresh, err)
	}
	o.Log.Debug("rotate: new key stored", "key", fresh.ID)

	if o.ClearSessions != nil {
		n, err := o.ClearSessions()
		res.Cleared = n
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("clearing cached sessions: %v (they expire on their own; 'alirole clear' removes them)", err))
		}
	}

	if err := o.deleteOld(ctx, old, fresh); err != nil {
		return res, &Error{Step: StepDelete, Active: fresh.ID, Stray: old.ID, Err: err,
			Advice: "The new key works and replaced the old one in the keychain; only the clean-up is left."}
	}
	o.Log.Debug("rotate: old key deleted", "key", old.ID)
	return res, nil
}

func (o Options) withDefaults() Options {
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff == nil {
		o.Backoff = backoff
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

func backoff(n int) time.Duration {
	d := 250 * time.Millisecond << min(n, 5)
	return min(d, 8*time.Second)
}

// createFailed explains a failed CreateAccessKey; nothing changed, except
// perhaps when the answer was lost in transit.
func (o Options) createFailed(ctx context.Context, old keychain.AccessKey, err error) error {
	e := &Error{Step: StepCreate, Active: old.ID, Err: err, Advice: "Nothing was changed."}
	switch Code(err) {
	case "LimitExceeded.User.AccessKey":
		e.Advice = "The RAM user already has the most AccessKeys RAM allows (2). Delete the one you no longer use, then run 'alirole rotate' again."
		if keys, lerr := o.RAM.ListAccessKeys(ctx, old); lerr == nil {
			var others []string
			for _, k := range keys {
				if k.ID != old.ID {
					others = append(others, fmt.Sprintf("%s (%s, created %s)", k.ID, k.Status, k.Created))
				}
			}
			if len(others) > 0 {
				e.Advice += "\nThe user's other key: " + strings.Join(others, ", ") + "."
			}
		}
	case "":
		// No answer: RAM may have created a key we never saw.
		e.Advice = "Nothing was changed in the keychain. If RAM created a key anyway, 'aliyun ram ListAccessKeys' shows it; delete it before retrying."
	case "NoPermission", "Forbidden.RAM", "Forbidden":
		e.Advice = "Nothing was changed. The key's RAM user needs permission to manage its own AccessKeys (ram:CreateAccessKey, ram:DeleteAccessKey, ram:ListAccessKeys)."
	}
	return e
}

// verify waits until STS accepts the new key and names the same identity.
func (o Options) verify(ctx context.Context, fresh keychain.AccessKey, want string) error {
	var last error
	for n := 0; n < o.Attempts; n++ {
		if n > 0 {
			if err := o.Sleep(ctx, o.Backoff(n-1)); err != nil {
				return err
			}
		}
		got, err := o.Identify(ctx, fresh)
		if err == nil {
			if got != want {
				return fmt.Errorf("the new key belongs to %s, not %s", got, want)
			}
			return nil
		}
		last = err
		o.Log.Debug("rotate: new key not usable yet", "attempt", n+1, "error", err)
	}
	return fmt.Errorf("the new key did not work after %d attempts: %w", o.Attempts, last)
}

// rollback deletes the new key (signed with the old one, which works
// without propagation) after a failure before the keychain held it.
func (o Options) rollback(ctx context.Context, step string, old, fresh keychain.AccessKey, cause error) error {
	e := &Error{Step: step, Active: old.ID, Err: cause}
	var err error
	for n := 0; n < 3; n++ {
		if n > 0 {
			if serr := o.Sleep(ctx, o.Backoff(n-1)); serr != nil {
				break
			}
		}
		if err = o.RAM.DeleteAccessKey(ctx, old, fresh.ID); err == nil || Code(err) == "EntityNotExist.User.AccessKey" {
			e.Advice = "The new key " + fresh.ID + " was deleted again; nothing else changed."
			return e
		}
	}
	e.Stray = fresh.ID
	e.Advice = fmt.Sprintf("Deleting the new key failed too: %v", err)
	return e
}

// deleteOld deletes the old key, signing with the new one so the call also
// proves RAM knows it; "not found" for the signer is propagation and is
// waited out. If the new key never reaches RAM, the old key (still valid)
// signs a last attempt.
func (o Options) deleteOld(ctx context.Context, old, fresh keychain.AccessKey) error {
	var last error
	for n := 0; n < o.Attempts; n++ {
		if n > 0 {
			if err := o.Sleep(ctx, o.Backoff(n-1)); err != nil {
				return err
			}
		}
		err := o.RAM.DeleteAccessKey(ctx, fresh, old.ID)
		switch {
		case err == nil, Code(err) == "EntityNotExist.User.AccessKey":
			// Gone either way (an earlier answer may have been lost).
			return nil
		case !retryable(err):
			return err
		}
		last = err
		o.Log.Debug("rotate: deleting the old key failed; retrying", "attempt", n+1, "error", err)
	}
	if Code(last) == "InvalidAccessKeyId.NotFound" {
		o.Log.Debug("rotate: RAM does not know the new key yet; deleting with the old one")
		err := o.RAM.DeleteAccessKey(ctx, old, old.ID)
		if err == nil || Code(err) == "EntityNotExist.User.AccessKey" {
			return nil
		}
		return err
	}
	return last
}

// retryable: propagation, throttling, server trouble and lost answers.
func retryable(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return true
	}
	return e.Code == "InvalidAccessKeyId.NotFound" || strings.HasPrefix(e.Code, "Throttling") ||
		e.Code == "ServiceUnavailable" || e.Status >= 500
}
