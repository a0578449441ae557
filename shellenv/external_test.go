package shellenv

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/creds"
)

// parseExternal decodes one External document strictly: a single line ending
// in a newline, every field a string.
func parseExternal(t *testing.T, out []byte) map[string]string {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\n")) || bytes.Count(out, []byte("\n")) != 1 {
		t.Fatalf("external output is not exactly one line: %q", out)
	}
	var m map[string]string
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("external output does not parse: %v", err)
	}
	if dec.More() {
		t.Fatalf("external output has trailing data: %q", out)
	}
	return m
}

var expirationRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

func TestExternal(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name string
		c    creds.Credentials
		want map[string]string
	}{
		{
			name: "sts with expiry in another zone, sub-second precision",
			c: creds.Credentials{
				AccessKeyID: "STS.NUx", AccessKeySecret: "sec+/=", SecurityToken: "CAIS<&>tok",
				Expiration: time.Date(2026, 1, 2, 12, 4, 5, 999_000_000, tokyo),
			},
			want: map[string]string{
				"mode": "StsToken", "access_key_id": "STS.NUx", "access_key_secret": "sec+/=",
				"sts_token": "CAIS<&>tok", "expiration": "2026-01-02T03:04:05Z",
			},
		},
		{
			name: "sts without expiry",
			c:    creds.Credentials{AccessKeyID: "STS.a", AccessKeySecret: "b", SecurityToken: "c"},
			want: map[string]string{"mode": "StsToken", "access_key_id": "STS.a", "access_key_secret": "b", "sts_token": "c"},
		},
		{
			name: "long-term key",
			c:    creds.Credentials{AccessKeyID: "LTAI5t", AccessKeySecret: "x\"y\\z"},
			want: map[string]string{"mode": "AK", "access_key_id": "LTAI5t", "access_key_secret": "x\"y\\z"},
		},
		{
			name: "long-term key never carries an expiry",
			c:    creds.Credentials{AccessKeyID: "LTAI5t", AccessKeySecret: "s", Expiration: testExpiry},
			want: map[string]string{"mode": "AK", "access_key_id": "LTAI5t", "access_key_secret": "s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := External(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			got := parseExternal(t, out)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("External fields:\n got %q\nwant %q", got, tt.want)
			}
			if exp, ok := got["expiration"]; ok {
				if !expirationRE.MatchString(exp) {
					t.Errorf("expiration %q does not match the STS layout", exp)
				}
				back, err := time.Parse(creds.ExpirationLayout, exp)
				if err != nil || !back.Equal(tt.c.Expiration.Truncate(time.Second)) {
					t.Errorf("expiration %q parses to %v, %v; want %v", exp, back, err, tt.c.Expiration)
				}
			}
			if !bytes.HasPrefix(out, []byte(`{"mode":`)) {
				t.Errorf("mode should lead the document: %s", out)
			}
			// Write with FormatExternal over Vars must say the same thing.
			var buf bytes.Buffer
			if err := Write(&buf, FormatExternal, Vars(tt.c, Options{Region: "r", Profile: "p"})); err != nil {
				t.Fatal(err)
			}
			if tt.c.IsSTS() && buf.String() != string(out) {
				t.Errorf("Write external = %q, External = %q", buf.String(), out)
			}
			if !tt.c.IsSTS() && !reflect.DeepEqual(parseExternal(t, buf.Bytes()), tt.want) {
				t.Errorf("Write external for a long-term key = %q", buf.String())
			}
		})
	}
}

func TestExternalRejects(t *testing.T) {
	tests := []struct {
		name string
		c    creds.Credentials
		want string
	}{
		{"no id", creds.Credentials{AccessKeySecret: "SECRETVALUE"}, "empty access key id"},
		{"no secret", creds.Credentials{AccessKeyID: "id"}, "empty access key secret"},
		{"nul in token", creds.Credentials{AccessKeyID: "id", AccessKeySecret: "s", SecurityToken: "SECRETVALUE\x00"}, "security token is not valid text"},
		{"bad utf8 secret", creds.Credentials{AccessKeyID: "id", AccessKeySecret: "SECRETVALUE\xff"}, "access key secret is not valid text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := External(tt.c)
			if err == nil {
				t.Fatalf("External succeeded: %s", out)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "SECRETVALUE") {
				t.Fatalf("error %q: want %q and no secret", err, tt.want)
			}
		})
	}
}
