package resolve

import (
	"reflect"
	"time"
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
