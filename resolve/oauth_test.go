package resolve

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

// fixedOAuth hands out a credentials-go OAuth provider holding one access
// token, as internal/oauth.Manager does after a refresh.
type fixedOAuth struct{ url, token string }

func (f fixedOAuth) Provider(ctx context.Context, site string) (providers.CredentialsProvider, func(), error) {
	p, err := providers.NewOAuthCredentialsProviderBuilder().WithClientId(stsemu.OAuthClientIDCN).WithSignInUrl(f.url).
		WithAccessToken(f.token).WithAccessTokenExpire(time.Now().Add(time.Hour).Unix()).Build()
	return p, func() {}, err
}

// TestOAuthErrorsNeverCarryTheAccessToken: credentials-go puts the whole
// /v1/exchange answer into its error; an answer that echoes the access
// token must not get it into alirole's error text, raw or URL-encoded.
func TestOAuthErrorsNeverCarryTheAccessToken(t *testing.T) {
	emu, err := stsemu.New(&stsemu.World{Accounts: []stsemu.Account{{ID: testAcct}}}, stsemu.Options{CA: testCA})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.StartTLS("127.0.0.1:0", ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	cfg, err := config.Parse("/test/config", []byte("[profile me]\ncredential_source = oauth\noauth_site_type = CN\n"))
	if err != nil {
		t.Fatal(err)
	}
	const tok = "oat.SentinelAccessToken0123456789abcdef"
	emu.Inject(stsemu.Fault{Action: stsemu.ActionOAuthExchange, Status: 500, Message: "bad token " + tok + " / " + url.QueryEscape(tok+"+/")})
	r, err := New(Options{Config: cfg, Store: keychain.New(keyring.NewArrayKeyring(nil)), LockDir: t.TempDir(), STSEndpoint: emu.Endpoint(),
		OAuth: fixedOAuth{url: "https://" + emu.Endpoint(), token: tok}, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Resolve(context.Background(), "me")
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), tok) || strings.Contains(err.Error(), "SentinelAccessToken") {
		t.Fatalf("the error carries the access token: %v", err)
	}
	if !strings.Contains(err.Error(), "bad token") {
		t.Fatalf("the exchange error did not come through (the test proves nothing): %v", err)
	}
	t.Log(err)
}
