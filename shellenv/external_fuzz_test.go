package shellenv

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alirole/alirole/internal/creds"
)

// FuzzExternal: for any valid text (no NUL) External writes one JSON line
// that parses back to exactly the values it was given, and Write with
// FormatExternal agrees with it; anything else is refused. Plain `go test`
// runs the seeds; `go test -fuzz FuzzExternal ./shellenv` explores.
func FuzzExternal(f *testing.F) {
	f.Add("STS.NUx", "sec+/=", "CAIS<&>tok", int64(1767323045), int64(999))
	f.Add("LTAI5t", `x"y\z`, "", int64(0), int64(0))
	f.Add("id\n", "line\u2028sep\u2029", "tok\t\r", int64(253402300799), int64(0))
	f.Add("\u00e9\U0001F600", "</script>", "\x7f\x01", int64(1), int64(1))
	f.Add("", "s", "t", int64(5), int64(0))
	f.Add("id", "s\xff", "t", int64(5), int64(0))
	f.Add("id", "s", "t\x00", int64(5), int64(0))
	f.Fuzz(func(t *testing.T, id, secret, token string, unix, nanos int64) {
		c := creds.Credentials{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: token}
		// Keep the expiry within years 1970..9999, which the layout can print.
		if unix = unix % 253402300800; unix < 0 {
			unix = -unix
		}
		if unix != 0 {
			c.Expiration = time.Unix(unix, nanos%int64(time.Second)).In(time.FixedZone("X", int(nanos%50000)))
		}
		out, err := External(c)
		valid := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
		ok := id != "" && secret != "" && valid(id) && valid(secret) && valid(token)
		if !ok {
			if err == nil {
				t.Fatalf("External accepted invalid input: %q", out)
			}
			for _, s := range []string{secret, token} {
				if len(s) >= 4 && strings.Contains(err.Error(), s) {
					t.Fatalf("error %q carries a secret", err)
				}
			}
			return
		}
		if err != nil {
			t.Fatalf("External refused valid input: %v", err)
		}
		got := parseExternal(t, out)
		want := map[string]string{"access_key_id": id, "access_key_secret": secret, "mode": "AK"}
		if c.IsSTS() {
			want["mode"], want["sts_token"] = "StsToken", token
			if c.Expires() {
				want["expiration"] = c.Expiration.UTC().Format(creds.ExpirationLayout)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("fields = %q, want %q", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s = %q, want %q", k, got[k], v)
			}
		}
		if c.IsSTS() {
			var buf bytes.Buffer
			if err := Write(&buf, FormatExternal, Vars(c, Options{Profile: "p"})); err != nil {
				t.Fatalf("Write external: %v", err)
			}
			if buf.String() != string(out) {
				t.Fatalf("Write external = %q, External = %q", buf.String(), out)
			}
		}
	})
}
