// Package scrub makes third-party text safe to show: error messages of
// credentials-go, alibaba-cloud-sdk-go and net/http, and the answers of STS,
// RAM and the sign-in service. Those libraries put the signed request URL
// (AccessKeyId, SecurityToken, Signature: replayable for 15 minutes) into
// their errors, servers echo parameters and strings to sign, and a hostile
// server can send terminal escape sequences. Every package that talks to
// those services passes its errors through Error before they leave it, so
// the rule lives in one place.
package scrub

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a removed value.
const Redacted = "<redacted>"

// minSecret is the shortest value treated as a secret: shorter ones would
// blank ordinary words.
const minSecret = 4

// Secrets is a set of values that must never appear in shown text. It is
// safe for concurrent use; the zero value is empty and ready.
type Secrets struct {
	mu     sync.Mutex
	values []string
}

// Add remembers values (empty and very short ones are ignored).
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) >= minSecret {
			s.values = append(s.values, v)
		}
	}
}

func (s *Secrets) list() []string {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.values...)
}

// Text returns text without any of the set's secrets, without URL queries
// or secret parameters, and with control characters neutralised. The values
// of secret parameters found in text join the set, so that a signature or
// token seen once in a URL is caught later where it appears bare.
func (s *Secrets) Text(text string) string {
	s.Add(harvest(text)...)
	return clean(text, s.list())
}

// Text cleans text with secrets as the known secret values.
func Text(text string, secrets ...string) string {
	var kept []string
	for _, v := range secrets {
		if len(v) >= minSecret {
			kept = append(kept, v)
		}
	}
	return clean(text, kept)
}

// Field cleans one field of a service's answer (a code, a message, a
// request id) like Text, and puts it on one line: a server must not be
// able to add lines of its own ("what to do: ...") to alirole's message.
func Field(text string, secrets ...string) string {
	return strings.NewReplacer("\n", " ", "\t", " ").Replace(Text(text, secrets...))
}

// Error returns err with a cleaned text (see Text). The result unwraps to
// err's cause below any *url.Error, so errors.Is and errors.As still find
// timeouts and connection errors, but nothing reached through it carries
// the request URL. nil stays nil.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	return &cleaned{msg: Text(err.Error(), secrets...), cause: cause}
}

// Error is Error with the secrets of the set.
func (s *Secrets) Error(err error) error {
	if err == nil {
		return nil
	}
	s.Add(harvest(err.Error())...)
	return Error(err, s.list()...)
}

type cleaned struct {
	msg   string
	cause error
}

func (e *cleaned) Error() string { return e.msg }
func (e *cleaned) Unwrap() error { return e.cause }

// secretParam matches a secret request parameter (or JSON member) and its
// value: query strings, form bodies, strings to sign (percent-encoded once
// more: "%26Signature%3D..."), JSON answers and config files. A value runs
// to the next separator; redacting too much is harmless, too little is not.
var secretParam = regexp.MustCompile(`(?i)(SecurityToken|Signature|AccessKeySecret|SigninToken|sts_token|access_key_secret|oauth_refresh_token|oauth_access_token|access_token)(=|%3D|%253D)([^&\s"'<>\\]*)|"(SecurityToken|Signature|AccessKeySecret|SigninToken|sts_token|access_key_secret|oauth_refresh_token|oauth_access_token|access_token)"\s*:\s*"((?:[^"\\]|\\.)*)"?`)

// stsToken matches an Alibaba Cloud STS security token (base64 of a
// protobuf that starts "CAIS"), raw or percent-encoded, wherever it comes
// from: a server can echo a token the caller never handed to alirole.
var stsToken = regexp.MustCompile(`CAIS(?:[A-Za-z0-9+/=]|%[0-9A-Fa-f]{2}){16,}`)

// anyURL matches an absolute http(s) URL up to a quote, white space or
// angle bracket (how Go, the SDKs and HTML pages delimit them).
var anyURL = regexp.MustCompile(`(?i)\bhttps?://[^\s"'<>` + "`" + `]+`)

// harvest returns the values of the secret parameters in text, decoded too.
func harvest(text string) []string {
	var secrets []string
	for _, m := range secretParam.FindAllStringSubmatch(text, -1) {
		v := m[3]
		if m[5] != "" {
			v = m[5]
		}
		if len(v) >= minSecret {
			secrets = append(secrets, v)
			if d, err := url.QueryUnescape(v); err == nil && d != v {
				secrets = append(secrets, d)
				if d2, err := url.QueryUnescape(d); err == nil && d2 != d {
					secrets = append(secrets, d2)
				}
			}
		}
	}
	return secrets
}

func clean(text string, secrets []string) string {
	// The values of secret parameters are secrets wherever else they show
	// up: a bare signature in a string to sign or in a server's message.
	secrets = append(secrets, harvest(text)...)
	text = anyURL.ReplaceAllStringFunc(text, StripURL)
	// Control first: its escapes must not join with neighbouring text into
	// a copy of a secret after the secrets were replaced.
	text = Control(text)
	text = replaceSecrets(text, secrets)
	text = stsToken.ReplaceAllString(text, Redacted)
	return secretParam.ReplaceAllStringFunc(text, func(m string) string {
		sub := secretParam.FindStringSubmatch(m)
		if sub[1] != "" {
			return sub[1] + sub[2] + Redacted
		}
		return `"` + sub[4] + `":"` + Redacted + `"`
	})
}

// forms are the ways a secret is written in URLs, forms and JSON.
func forms(v string) []string {
	out := []string{v, url.QueryEscape(v), url.PathEscape(v), strings.ReplaceAll(url.QueryEscape(v), "+", "%20"),
		url.QueryEscape(url.QueryEscape(v))}
	if b, err := json.Marshal(v); err == nil {
		out = append(out, strings.Trim(string(b), `"`))
	}
	// Lower-case percent escapes are valid too.
	for _, f := range out[1:] {
		if strings.Contains(f, "%") {
			out = append(out, lowerEscapes(f))
		}
	}
	return out
}

var escapeSeq = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerEscapes(s string) string { return escapeSeq.ReplaceAllStringFunc(s, strings.ToLower) }

func replaceSecrets(text string, secrets []string) string {
	var all []string
	seen := map[string]bool{}
	for _, v := range secrets {
		for _, f := range forms(v) {
			// The text is matched after Control.
			f = Control(f)
			if len(f) >= minSecret && !seen[f] {
				seen[f] = true
				all = append(all, f)
			}
		}
	}
	// Longest first, so that an encoded form is not half-replaced by a
	// shorter value it contains.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && len(all[j]) > len(all[j-1]); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	// A replacement can complete a copy with its neighbours ("d>ab" after
	// "<redacted>" + "ab"): repeat until nothing changes.
	for pass := 0; pass < 4; pass++ {
		before := text
		for _, f := range all {
			text = strings.ReplaceAll(text, f, Redacted)
		}
		if text == before {
			break
		}
	}
	return text
}

// StripURL reduces a URL to scheme://host/path: no user info, query or
// fragment, which is where signed requests carry their credentials.
func StripURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "?#")
	if end >= 0 {
		rest = rest[:end]
	}
	authority, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		authority, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	return scheme + "://" + authority + path
}

// Control neutralises what a terminal would interpret: escape sequences and
// other control characters (C0 but newline and tab, DEL, C1), and the
// bidirectional overrides that reorder what the reader sees. They become
// visible \x.. / \u.... escapes. Invalid UTF-8 becomes U+FFFD.
func Control(text string) string {
	if isPlain(text) {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(unicode.ReplacementChar)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		case isBidi(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte("0123456789abcdef"[(r>>uint(shift))&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isPlain(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 0x80 || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func isBidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
