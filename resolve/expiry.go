package resolve

import (
	"fmt"
	"reflect"
	"time"

	"github.com/alirole/alirole/internal/creds"
)

// providerExpiry reads the expiry a credentials-go provider parsed from its
// last answer. credentials-go v1.4.14 keeps it in an unexported
// expirationTimestamp field on every refreshing provider (RAMRoleARN, OIDC,
// ECS, URI, External) and offers no accessor; the session cache needs the
// real value (STS may issue shorter sessions than asked), so it is read by
// reflection. ok is false when the field is missing or unset; callers then
// fall back to an estimate, and TestProviderExpiryField catches a library
// change.
func providerExpiry(p any) (t time.Time, ok bool) {
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return time.Time{}, false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return time.Time{}, false
	}
	f := v.FieldByName("expirationTimestamp")
	if !f.IsValid() || f.Kind() != reflect.Int64 || f.Int() <= 0 {
		return time.Time{}, false
	}
	return time.Unix(f.Int(), 0).UTC(), true
}

// providerAccessToken reads the access token a credentials-go OAuth
// provider holds (providers/oauth.go OAuthCredentialsProvider.accessToken),
// so that errors quoting an answer that echoes it can be scrubbed; "" when
// there is none.
func providerAccessToken(p any) string {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("accessToken")
	if !f.IsValid() || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

// Sanity limits for credentials a source or STS hands back. Real values are
// far smaller: AccessKeyIds are 24-40 characters, secrets 30, tokens a few
// KiB (growing with an inline policy of up to 2048 characters).
const (
	maxKeyIDBytes  = 128
	maxSecretBytes = 128
	maxTokenBytes  = 32 << 10
	// expirySlack allows for clock skew: STS accepts requests whose
	// timestamp is up to 15 minutes off, so its Expiration may be that far
	// ahead of this machine's view of "requested duration from now".
	expirySlack = 15 * time.Minute
	// maxSourceLifetime bounds sessions from sources that do not take a
	// duration (ECS, credentials URI, external process): STS issues at most
	// 12 hours (a role's MaxSessionDuration ceiling).
	maxSourceLifetime = 12 * time.Hour
)

// checkAnswer rejects credentials no real service issues, before they are
// used, exported or cached: empty or oversized fields, bytes that are not
// printable ASCII (they would end up in environment variables and shell
// code), an Expiration in the past, or one later than maxLifetime (+ slack)
// from now. needToken is set for STS answers, which always carry one. A zero
// Expiration (a source that gives none, e.g. a long-term AccessKey from an
// external process) is not checked.
func checkAnswer(c creds.Credentials, now time.Time, maxLifetime time.Duration, needToken bool) error {
	fields := []struct {
		name, v  string
		max      int
		required bool
	}{
		{"AccessKeyId", c.AccessKeyID, maxKeyIDBytes, true},
		{"AccessKeySecret", c.AccessKeySecret, maxSecretBytes, true},
		{"SecurityToken", c.SecurityToken, maxTokenBytes, needToken},
	}
	for _, f := range fields {
		switch {
		case f.v == "" && f.required:
			return fmt.Errorf("the answer has an empty %s", f.name)
		case len(f.v) > f.max:
			return fmt.Errorf("the answer's %s is %d bytes long, more than the %d any real credentials have", f.name, len(f.v), f.max)
		}
		for i := 0; i < len(f.v); i++ {
			if b := f.v[i]; b < 0x21 || b > 0x7e {
				return fmt.Errorf("the answer's %s holds a byte (0x%02x at offset %d) that no real credentials contain", f.name, b, i)
			}
		}
	}
	if !c.Expires() {
		return nil
	}
	exp := c.ExpirationString()
	if !c.Expiration.After(now) {
		return fmt.Errorf("the answer's Expiration %s is already past (this machine's clock says %s): check the system clock", exp, now.UTC().Format(creds.ExpirationLayout))
	}
	if limit := now.Add(maxLifetime + expirySlack); c.Expiration.After(limit) {
		return fmt.Errorf("the answer's Expiration %s is later than the %s that was asked for (+%s for clock skew) allows", exp, maxLifetime, expirySlack)
	}
	return nil
}

// answerHint is the "what to do" for an answer checkAnswer refused.
const answerHint = "this is not an answer Alibaba Cloud STS gives: check sts_endpoint (or --sts-endpoint / ALIROLE_STS_ENDPOINT) and any proxy in between; nothing was cached"

// checkHopAnswer checks an AssumeRole answer; the error names the hop.
func (h *hopNode) checkHopAnswer(c creds.Credentials, now time.Time, attempts int) error {
	if err := checkAnswer(c, now, h.duration, true); err != nil {
		return &HopError{Profile: h.prof.Name, RoleArn: h.prof.RamRoleArn, Caller: h.info.caller, Attempts: attempts,
			Err: fmt.Errorf("sts answered with unusable credentials: %w", err), Hint: answerHint}
	}
	return nil
}

// checkSourceAnswer checks what a credential_source returned.
func (n *providerNode) checkSourceAnswer(c creds.Credentials) error {
	now := time.Now
	if n.now != nil {
		now = n.now
	}
	life := n.maxLifetime
	if life <= 0 {
		life = maxSourceLifetime
	}
	if err := checkAnswer(c, now(), life, false); err != nil {
		return errf(n.profile, "the %s source returned unusable credentials: %w\n  what to do: check what the source (%s) serves; nothing was cached", n.kind, err, n.kind)
	}
	return nil
}
