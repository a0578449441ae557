package resolve

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// stsErrorSeeds are error texts credentials-go and the network really
// produce, plus some broken variants. Plain `go test` runs only these;
// `go test -fuzz FuzzSTSErrorHandling ./resolve` explores further.
var stsErrorSeeds = []string{
	"",
	refreshFailedPrefix,
	refreshFailedPrefix + `{"RequestId":"A1","HostId":"sts.aliyuncs.com","Code":"Throttling.User","Message":"Request was denied due to user flow control.","Recommend":"x"}`,
	refreshFailedPrefix + `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3D..."}`,
	refreshFailedPrefix + `{"Code":"NoPermission","Message":"You are not authorized"}`,
	refreshFailedPrefix + `{"Code":""}`,
	refreshFailedPrefix + `{"Code":1}`,
	refreshFailedPrefix + `{"Code":"InternalError"`,
	refreshFailedPrefix + "<html><body><h1>502 Bad Gateway</h1>Tengine</body></html>",
	refreshFailedPrefix + "\xff\xfe" + strings.Repeat("é", 200),
	"refresh RoleArn sts token err, json.Unmarshal fail: unexpected end of JSON input",
	"refresh RoleArn sts token err, fail to get credentials",
	`Post "https://sts.aliyuncs.com/?AccessKeyId=STS.x&SecurityToken=CAISabc%2Bdef&Signature=c2ln%3D": dial tcp 127.0.0.1:1: connect: connection refused`,
	"read: connection reset by peer",
	"unexpected EOF",
	"\x00",
}

// FuzzSTSErrorHandling feeds arbitrary error texts, bare and in the shapes
// credentials-go produces, through every function that inspects provider
// errors: none may panic, and cleanError must always return an error with
// printable text.
func FuzzSTSErrorHandling(f *testing.F) {
	for _, s := range stsErrorSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		inputs := []error{
			errors.New(text),
			errors.New(refreshFailedPrefix + text),
			fmt.Errorf("wrapped: %w", errors.New(refreshFailedPrefix+text)),
			&url.Error{Op: "Post", URL: text, Err: errors.New(text)},
			&url.Error{Op: text, URL: "https://" + text + "/?" + text, Err: errors.New(refreshFailedPrefix + text)},
		}
		for _, in := range inputs {
			if se := parseSTSError(in); se != nil {
				_ = se.Error()
				_ = hint(se.Code, hopInfo{profile: "p", rootProfile: "r", roleArn: "acs:ram::1:role/x", caller: "c"})
			}
			_ = retryable(in)
			out := cleanError(in)
			if out == nil {
				t.Fatalf("cleanError(%q) = nil", in.Error())
			}
			msg := out.Error()
			if strings.Contains(strings.ToLower(msg), "string to sign") && !strings.Contains(strings.ToLower(text), "string to sign") {
				t.Fatalf("cleanError invented signing material: %q", msg)
			}
			if utf8.ValidString(in.Error()) && !utf8.ValidString(msg) {
				t.Fatalf("cleanError made valid text invalid: %q -> %q", in.Error(), msg)
			}
		}
	})
}

// FuzzCleanErrorRedactsURLSecrets puts a security token and a signature into
// a signed STS request URL and that URL into each kind of error that can
// carry it (a transport error, its text, a proxy's error page echoing the
// request, an STS message quoting it): cleanError's text must contain
// neither value, raw or percent-encoded. The values are base64 of fuzzed
// bytes, the alphabet real tokens and signatures use.
func FuzzCleanErrorRedactsURLSecrets(f *testing.F) {
	f.Add([]byte("CAIS-security-token-bytes"), []byte("hmac-sha1-20-bytes!!"), "dial tcp 127.0.0.1:443: i/o timeout", uint8(0))
	f.Add([]byte{0xfb, 0xff, 0xbf, 0x00, 0x01, 0x02, 0x03}, []byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa}, "", uint8(1))
	f.Add([]byte("token token token"), []byte("sig sig sig"), "<html>The requested URL was rejected</html>", uint8(2))
	f.Add([]byte("tok/with+slash=="), []byte("sig/with+plus="), "context deadline exceeded (Client.Timeout exceeded while awaiting headers)", uint8(3))
	f.Add([]byte("json quoted token"), []byte("json quoted sig"), "denied", uint8(4))
	f.Add([]byte("a long token that is longer than the 120 characters that are kept of an unreadable body, so it gets cut"), []byte("signature"), "", uint8(2))
	f.Fuzz(func(t *testing.T, tokenBytes, sigBytes []byte, inner string, kind uint8) {
		if len(tokenBytes) < 6 || len(sigBytes) < 6 {
			t.Skip("too short to tell apart from other text")
		}
		token := base64.StdEncoding.EncodeToString(tokenBytes)
		sig := base64.StdEncoding.EncodeToString(sigBytes)
		signedURL := func(token, sig string) string {
			return "https://sts.aliyuncs.com/?AccessKeyId=STS.NUgYrLnoC37mZZCNnAbez2&Action=AssumeRole&Format=JSON" +
				"&SecurityToken=" + url.QueryEscape(token) + "&Signature=" + url.QueryEscape(sig) +
				"&SignatureMethod=HMAC-SHA1&SignatureNonce=5f0c1b5e&SignatureVersion=1.0&Timestamp=2026-01-02T03%3A04%3A05Z&Version=2015-04-01"
		}
		build := func(u string) error {
			switch kind % 5 {
			case 0: // what net/http returns
				return &url.Error{Op: "Post", URL: u, Err: errors.New(inner)}
			case 1: // the same flattened to text by some library
				return errors.New(`Post "` + u + `": ` + inner)
			case 2: // a proxy's error page echoing the request
				return errors.New(refreshFailedPrefix + "<html><p>" + inner + "</p><p>URL: " + u + "</p></html>")
			case 3: // a transport error wrapped once more
				return fmt.Errorf("assume role: %w", &url.Error{Op: "Post", URL: u, Err: fmt.Errorf("%s: %s", inner, u)})
			default: // an STS-shaped error whose message quotes the request
				body, _ := json.Marshal(map[string]string{"Code": "InvalidParameter", "Message": inner + " in " + u, "RequestId": "R1"})
				return errors.New(refreshFailedPrefix + string(body))
			}
		}
		secrets := []string{token, sig, url.QueryEscape(token), url.QueryEscape(sig)}
		// Only values that appear nowhere but in their URL slot can be
		// blamed on cleanError.
		rest := build(signedURL("", "")).Error()
		for _, s := range secrets {
			if strings.Contains(rest, s) {
				t.Skip("value occurs outside the URL")
			}
		}
		msg := cleanError(build(signedURL(token, sig))).Error()
		for _, s := range secrets {
			if strings.Contains(msg, s) {
				t.Fatalf("cleanError kept %q from the request URL:\n%s", s, msg)
			}
		}
	})
}
