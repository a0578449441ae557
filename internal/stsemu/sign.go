package stsemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"sort"
	"strings"
)

// percentEncode encodes s the way the RPC signature requires: only
// A-Za-z0-9-_.~ stay literal, every other UTF-8 byte becomes upper-case %XX
// (so space is %20 and * is %2A, unlike url.QueryEscape).
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// canonicalQuery joins every parameter except Signature, empty values
// included, as encoded name=value pairs sorted by encoded name.
func canonicalQuery(params map[string]string) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(params))
	for k, v := range params {
		if k == "Signature" {
			continue
		}
		pairs = append(pairs, pair{percentEncode(k), percentEncode(v)})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].k < pairs[j].k })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// stringToSign is METHOD&%2F&pct(canonical query).
func stringToSign(method string, params map[string]string) string {
	return method + "&" + percentEncode("/") + "&" + percentEncode(canonicalQuery(params))
}

// computeSignature computes Base64(HMAC-SHA1(secret+"&", stringToSign)).
func computeSignature(toSign, secret string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// signatureMatches compares in constant time so response timing does not
// leak how much of a forged signature was right.
func signatureMatches(got, want string) bool {
	return hmac.Equal([]byte(got), []byte(want))
}

// redactedStringToSign is the StringToSign shown in SignatureDoesNotMatch
// messages. Real STS echoes it verbatim; we hide the SecurityToken value
// because clients put response bodies into errors that end up in logs.
func redactedStringToSign(method string, params map[string]string) string {
	if _, ok := params["SecurityToken"]; !ok {
		return stringToSign(method, params)
	}
	shown := make(map[string]string, len(params))
	for k, v := range params {
		shown[k] = v
	}
	shown["SecurityToken"] = "REDACTED"
	return stringToSign(method, shown)
}
