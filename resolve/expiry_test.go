package resolve

import (
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// TestProviderExpiryField pins the credentials-go internals providerExpiry
// relies on: if an upgrade renames the field, this fails instead of the
// cache silently falling back to estimated expiries.
func TestProviderExpiryField(t *testing.T) {
	ak, err := providers.NewStaticAKCredentialsProviderBuilder().WithAccessKeyId("id").WithAccessKeySecret("secret").Build()
	if err != nil {
		t.Fatal(err)
	}
	ram, err := providers.NewRAMRoleARNCredentialsProviderBuilder().WithCredentialsProvider(ak).WithRoleArn("acs:ram::1:role/r").Build()
	if err != nil {
		t.Fatal(err)
	}
	uri, err := providers.NewURLCredentialsProviderBuilder().WithUrl("http://127.0.0.1:1/x").Build()
	if err != nil {
		t.Fatal(err)
	}
	ext, err := providers.NewExternalCredentialsProviderBuilder().WithProcessCommand("true").Build()
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]any{"ram_role_arn": ram, "uri": uri, "external": ext} {
		if _, ok := providerExpiry(p); ok {
			t.Errorf("%s: fresh provider should have no expiry yet", name)
		}
		if !hasInt64Field(p, "expirationTimestamp") {
			t.Errorf("%s: credentials-go no longer has expirationTimestamp; update providerExpiry", name)
		}
	}
	if _, ok := providerExpiry(ak); ok {
		t.Error("a static provider has no expiry")
	}
	if _, ok := providerExpiry(nil); ok {
		t.Error("nil has no expiry")
	}
	// A struct with the field set is read as UTC seconds.
	v := &struct{ expirationTimestamp int64 }{expirationTimestamp: 1_800_000_000}
	got, ok := providerExpiry(v)
	if !ok || !got.Equal(time.Unix(1_800_000_000, 0)) || got.Location() != time.UTC {
		t.Errorf("providerExpiry = %v, %v", got, ok)
	}
}

func TestSessionNameFor(t *testing.T) {
	for in, want := range map[string]string{
		"alice":                  "alice",
		"DOMAIN\\bob smith":      "DOMAIN-bob-smith",
		"x":                      "alirole-x",
		"":                       "alirole",
		"李雷":                     "alirole",
		"first.last@example.com": "first.last@example.com",
	} {
		if got := SessionNameFor(in); got != want {
			t.Errorf("SessionNameFor(%q) = %q, want %q", in, got, want)
		}
	}
	long := SessionNameFor(string(make([]byte, 100)) + "abcdefghij")
	if len(long) > 64 || len(long) < 2 {
		t.Errorf("length %d", len(long))
	}
	if got := SessionNameFor("averyveryveryveryveryveryveryveryveryveryveryveryveryverylongusername"); len(got) != 64 {
		t.Errorf("long name not cut to 64: %d", len(got))
	}
}
