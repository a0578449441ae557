package resolve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/internal/stsemu"
)

// TestHostileSTSAnswers: answers no real STS gives are refused with an
// error naming the hop, what was wrong and what to do, and nothing is
// cached. The huge answer is read only up to MaxAnswerBytes.
func TestHostileSTSAnswers(t *testing.T) {
	cases := []struct {
		name  string
		fault stsemu.Fault
		want  string
	}{
		{"huge body", stsemu.Fault{HugeBody: 64 << 20}, "larger than 1024 KiB"},
		{"expiration in 2099", stsemu.Fault{Expiration: "2099-01-01T00:00:00Z"}, "Expiration 2099-01-01T00:00:00Z is later than the 1h0m0s that was asked for"},
		{"expiration in 2001", stsemu.Fault{Expiration: "2001-01-01T00:00:00Z"}, "Expiration 2001-01-01T00:00:00Z is already past"},
		{"empty credentials", stsemu.Fault{EmptyCredentials: true}, "empty AccessKeyId"},
		{"oversized token", stsemu.Fault{OversizeToken: 40 << 10}, "SecurityToken is 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu := newTestEmulator(t)
			ts := newTestResolver(t, emu, nil)
			f := tc.fault
			f.Action, f.RoleArn = "AssumeRole", testAdminArn
			emu.Inject(f)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := ts.r.Resolve(context.Background(), "admin")
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("hostile answer accepted")
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			for _, want := range []string{`profile "admin"`, tc.want, "what to do"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q", want)
				}
			}
			if strings.ContainsAny(msg, "\x1b\a") {
				t.Errorf("error carries control bytes: %q", msg)
			}
			if n := len(emu.Calls()); n != 1 {
				t.Errorf("%d AssumeRole calls, want 1 (one AssumeRole; a hostile answer is not retried)", n)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("resolving allocated %d MiB", alloc>>20)
			}
			entries, err := ts.store.Sessions("admin")
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("%d sessions cached after a hostile answer", len(entries))
			}
		})
	}
}

func TestCheckAnswer(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	good := creds.Credentials{AccessKeyID: "STS.NTx", AccessKeySecret: "secret", SecurityToken: "CAIS+/=", Expiration: now.Add(time.Hour)}
	if err := checkAnswer(good, now, time.Hour, true); err != nil {
		t.Fatalf("good answer refused: %v", err)
	}
	skewed := good
	skewed.Expiration = now.Add(time.Hour + 14*time.Minute)
	if err := checkAnswer(skewed, now, time.Hour, true); err != nil {
		t.Fatalf("answer within the clock slack refused: %v", err)
	}
	longTerm := creds.Credentials{AccessKeyID: "LTAI", AccessKeySecret: "s"}
	if err := checkAnswer(longTerm, now, time.Hour, false); err != nil {
		t.Fatalf("long-term key from a source refused: %v", err)
	}
	bad := map[string]func(c *creds.Credentials){
		"no token":        func(c *creds.Credentials) { c.SecurityToken = "" },
		"empty secret":    func(c *creds.Credentials) { c.AccessKeySecret = "" },
		"newline in id":   func(c *creds.Credentials) { c.AccessKeyID = "STS.a\nb" },
		"escape in token": func(c *creds.Credentials) { c.SecurityToken = "a\x1bb" },
		"space in secret": func(c *creds.Credentials) { c.AccessKeySecret = "a b" },
		"long id":         func(c *creds.Credentials) { c.AccessKeyID = strings.Repeat("a", 129) },
		"long secret":     func(c *creds.Credentials) { c.AccessKeySecret = strings.Repeat("a", 129) },
		"expires now":     func(c *creds.Credentials) { c.Expiration = now },
		"too long":        func(c *creds.Credentials) { c.Expiration = now.Add(time.Hour + 16*time.Minute) },
	}
	for name, mutate := range bad {
		c := good
		mutate(&c)
		if err := checkAnswer(c, now, time.Hour, true); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAnswerCapIsTyped: the size guard's error survives credentials-go and
// net/http, so the hop neither retries nor hides it.
func TestAnswerCapIsTyped(t *testing.T) {
	emu := newTestEmulator(t)
	ts := newTestResolver(t, emu, nil)
	emu.Inject(stsemu.Fault{Action: "AssumeRole", HugeBody: 8 << 20})
	_, err := ts.r.Resolve(context.Background(), "admin")
	if !httpguard.IsTooLarge(err) {
		t.Fatalf("want the size guard's error, got %v", err)
	}
	var he *HopError
	if !errors.As(err, &he) {
		t.Fatalf("error does not name the hop: %v", err)
	}
}

// TestHostileCredentialsURI: a credentials_uri source (plain http, which
// only the field checks can guard) answering with impossible values is
// refused with the profile and source named; nothing downstream is called.
func TestHostileCredentialsURI(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"expiration in 2099":  {`{"Code":"Success","AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2099-01-01T00:00:00Z"}`, "later than the 12h0m0s"},
		"expiration in 2001":  {`{"Code":"Success","AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2001-01-01T00:00:00Z"}`, "already past"},
		"empty id":            {`{"Code":"Success","AccessKeyId":"","AccessKeySecret":"s","SecurityToken":"t","Expiration":"` + time.Now().Add(time.Hour).UTC().Format(creds.ExpirationLayout) + `"}`, "empty AccessKeyId"},
		"shell code in token": {`{"Code":"Success","AccessKeyId":"STS.a","AccessKeySecret":"s","SecurityToken":"$(touch x)","Expiration":"` + time.Now().Add(time.Hour).UTC().Format(creds.ExpirationLayout) + `"}`, "byte (0x20"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			emu := newTestEmulator(t)
			cfg, err := config.Parse("config", []byte("[profile src]\ncredential_source = credentials_uri\ncredentials_uri = "+srv.URL+"\n\n[profile role]\nsource_profile = src\nram_role_arn = "+testAdminArn+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			ts := newTestResolver(t, emu, func(o *Options) { o.Config = cfg })
			_, err = ts.r.Resolve(context.Background(), "role")
			if err == nil || !strings.Contains(err.Error(), `profile "src": the credentials_uri source returned unusable credentials`) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to name the source and %q", err, tc.want)
			}
			if n := len(emu.Calls()); n != 0 {
				t.Errorf("%d STS calls with unusable source credentials", n)
			}
		})
	}
}
