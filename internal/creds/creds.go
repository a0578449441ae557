// Package creds holds the one value every layer passes along: a set of
// Alibaba Cloud credentials and when they stop working.
package creds

import "time"

// ExpirationLayout is the only timestamp form STS, the aliyun CLI and
// credentials-go accept for expirations: UTC, second precision, literal Z.
const ExpirationLayout = "2006-01-02T15:04:05Z"

// Credentials is a long-term AccessKey (SecurityToken empty, Expiration zero)
// or an STS session.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	// Expiration is zero for long-term keys and for sources that do not say.
	Expiration time.Time
}

// IsSTS reports whether these are temporary credentials that need the token.
func (c Credentials) IsSTS() bool { return c.SecurityToken != "" }

// Expires reports whether the credentials have an expiry at all.
func (c Credentials) Expires() bool { return !c.Expiration.IsZero() }

// ValidFor reports whether the credentials are still good for at least
// window after now. Credentials without an expiry are always valid.
func (c Credentials) ValidFor(now time.Time, window time.Duration) bool {
	if !c.Expires() {
		return true
	}
	return c.Expiration.Sub(now) > window
}

// ExpirationString formats the expiry the way STS does, or "" when there is
// none.
func (c Credentials) ExpirationString() string {
	if !c.Expires() {
		return ""
	}
	return c.Expiration.UTC().Format(ExpirationLayout)
}

// String never prints secrets, so a stray %v in a log or error is harmless.
func (c Credentials) String() string {
	kind := "access key"
	if c.IsSTS() {
		kind = "sts session"
	}
	if c.Expires() {
		return kind + " " + c.AccessKeyID + " (expires " + c.ExpirationString() + ")"
	}
	return kind + " " + c.AccessKeyID
}

// GoString keeps %#v as safe as %v.
func (c Credentials) GoString() string { return c.String() }
