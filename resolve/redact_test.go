package resolve

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// Values that no pattern recognises (not "CAIS..."-shaped, not behind a
// parameter name): only the secret set can catch them.
const (
	leakSecret = "plain-secret/+=0123456789abcdef"
	leakToken  = "plain-token+/=ZYXWVUTSRQPONMLK"
	leakSig    = "c2lnbmF0dXJlLXZhbHVl+/="
)

type staticProvider struct{ c providers.Credentials }

func (p staticProvider) GetCredentials() (*providers.Credentials, error) { c := p.c; return &c, nil }
func (p staticProvider) GetProviderName() string                         { return "static" }

// leakyProvider uses its source's credentials, then fails the way careless
// libraries and echoing servers do: the token and secret in plain text,
// URL-encoded, and a signed request URL.
type leakyProvider struct{ src node }

func (p leakyProvider) GetCredentials() (*providers.Credentials, error) {
	c, err := p.src.get()
	if err != nil {
		return nil, err
	}
	// The signed URL is of a request made without the token (an
	// AccessKey-signed call), so the token can only be known from the
	// secret set, not learnt from the URL.
	q := url.Values{"AccessKeyId": {c.AccessKeyID}, "Signature": {leakSig}, "SignatureNonce": {"n1"}}
	return nil, fmt.Errorf("upstream rejected token %s (%s, %s) for secret %s, bare signature %s: POST https://sts.example/?%s",
		c.SecurityToken, url.QueryEscape(c.SecurityToken), url.PathEscape(c.SecurityToken), c.AccessKeySecret, leakSig, q.Encode())
}
func (p leakyProvider) GetProviderName() string { return "leaky" }

// TestRedactionCatchesProviderLeaks fails if secretSet.add stops adding the
// security token, or if redacting.get stops scrubbing.
func TestRedactionCatchesProviderLeaks(t *testing.T) {
	secrets := &secretSet{}
	src := &providerNode{prov: staticProvider{providers.Credentials{AccessKeyId: "STS.key", AccessKeySecret: leakSecret, SecurityToken: leakToken}},
		profile: "src", kind: "external", id: "src", secrets: secrets}
	hop := &providerNode{prov: leakyProvider{src}, profile: "hop", kind: "external", id: "hop", secrets: secrets}
	_, err := redacting{hop, secrets}.get()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for name, v := range map[string]string{
		"token": leakToken, "query-escaped token": url.QueryEscape(leakToken), "path-escaped token": url.PathEscape(leakToken),
		"secret": leakSecret, "signature": leakSig, "encoded signature": url.QueryEscape(leakSig),
	} {
		if strings.Contains(msg, v) {
			t.Errorf("the %s survived redaction: %s", name, msg)
		}
	}
	if !strings.Contains(msg, `profile "hop"`) || !strings.Contains(msg, "https://sts.example/") || strings.Contains(msg, "?") {
		t.Errorf("message lost its context or kept the query: %s", msg)
	}
}

type failingProvider struct{ err error }

func (p failingProvider) GetCredentials() (*providers.Credentials, error) { return nil, p.err }
func (p failingProvider) GetProviderName() string                         { return "failing" }

// TestCredentialsURITokenRedacted: credentials-go's URL provider puts the
// request URL, path included, into its errors; a credentials URI's path is
// its access token.
func TestCredentialsURITokenRedacted(t *testing.T) {
	const uri = "http://127.0.0.1:9/Zm9vYmFyLXRva2VuLXBhdGg?x=query-secret-1"
	secrets := &secretSet{}
	secrets.addURI(uri)
	n := &providerNode{prov: failingProvider{fmt.Errorf("get credentials from GET %s failed: busy", uri)}, profile: "uri", kind: "credentials_uri", secrets: secrets}
	_, err := redacting{n, secrets}.get()
	if err == nil || strings.Contains(err.Error(), "Zm9vYmFyLXRva2VuLXBhdGg") || strings.Contains(err.Error(), "query-secret-1") || !strings.Contains(err.Error(), "127.0.0.1:9") {
		t.Fatalf("error %v", err)
	}
}
