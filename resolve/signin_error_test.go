package resolve

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

// TestSignInFailuresSayWhatToDo: every way the CloudSSO portal's
// /cloud-credentials and OAuth's /v1/exchange fail reads as a sentence
// naming the profile, with what to do, never the raw JSON answer, a
// parser's internals, a raw control character or the access token.
func TestSignInFailuresSayWhatToDo(t *testing.T) {
	const ssoRole = "AliyunReservedSSO-Admin"
	world := &stsemu.World{
		Accounts: []stsemu.Account{{ID: testAcct, Roles: []stsemu.Role{{Name: ssoRole}}}},
		CloudSSO: &stsemu.CloudSSO{Assignments: []stsemu.SSOAssignment{{AccountID: testAcct, AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin", RoleName: ssoRole}}},
		OAuth:    &stsemu.OAuth{AccountID: testAcct, RoleName: ssoRole},
	}
	emu := startTestEmulator(t, world)
	signIn := "https://" + emu.Endpoint() + "/start/login"
	cfg, err := config.Parse("/test/config", []byte(`
[profile sso]
credential_source = cloudsso
cloud_sso_sign_in_url = `+signIn+`
cloud_sso_account_id = `+testAcct+`
cloud_sso_access_config = ac-admin

[profile sso-other-account]
credential_source = cloudsso
cloud_sso_sign_in_url = `+signIn+`
cloud_sso_account_id = 999988887777
cloud_sso_access_config = ac-admin

[profile sso-other-config]
credential_source = cloudsso
cloud_sso_sign_in_url = `+signIn+`
cloud_sso_account_id = `+testAcct+`
cloud_sso_access_config = ac-nope

[profile me]
credential_source = oauth
oauth_site_type = CN
`))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeSSO{t: t, emu: emu}
	// An OAuth access token the emulator never issued: /v1/exchange
	// refuses it with 401 invalid_token unless a fault answers first.
	const oauthTok = "oat.NotIssuedByTheEmulator0123456789abcdef"
	populate := "'alirole sso populate --sign-in-url " + signIn + "'"
	cases := []struct {
		name, profile string
		fault         *stsemu.Fault
		want          []string
	}{
		{"sso 500", "sso", &stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: 500}, []string{"the CloudSSO portal failed on its side (InternalError", "try again in a minute"}},
		{"sso 503", "sso", &stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: 503}, []string{"failed on its side (ServiceUnavailable", "try again in a minute"}},
		{"sso html page", "sso", &stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, MalformedBody: true, Status: 502}, []string{"answered with an HTML page", "proxy", "cloud_sso_sign_in_url"}},
		{"sso html with 200", "sso", &stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, MalformedBody: true}, []string{"(HTTP 200) is not JSON", "proxy"}},
		{"sso unknown account", "sso-other-account", nil, []string{"no credentials for access configuration ac-admin in account 999988887777 (AccessDenied", "check cloud_sso_account_id and cloud_sso_access_config", populate}},
		{"sso unknown access configuration", "sso-other-config", nil, []string{"access configuration ac-nope in account " + testAcct, populate}},
		{"sso access denied", "sso", &stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: 403, Code: "AccessDenied", Message: "denied"}, []string{"(AccessDenied: denied", populate}},
		{"sso escape sequences", "sso", &stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: 403, Code: "NoPermission", Message: stsemu.EscapeMessage}, []string{"NoPermission", populate}},
		{"sso token refused twice", "sso", &stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: 401, Code: "InvalidToken"}, []string{"refused a fresh access token too", "'alirole sso login --force sso'"}},
		{"oauth token refused", "me", nil, []string{"the OAuth service refused the access token (invalid_token", "sign in again with 'alirole oauth login me'"}},
		{"oauth 500", "me", &stsemu.Fault{Action: stsemu.ActionOAuthExchange, Status: 500}, []string{"the OAuth service failed on its side (", "try again in a minute"}},
		{"oauth access denied", "me", &stsemu.Fault{Action: stsemu.ActionOAuthExchange, Status: 403, Code: "access_denied"}, []string{"did not exchange the sign-in for credentials (access_denied", "'alirole oauth login me'"}},
		{"oauth html page", "me", &stsemu.Fault{Action: stsemu.ActionOAuthExchange, MalformedBody: true, Status: 502}, []string{"the OAuth service answered with an HTML page", "oauth_site_type"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu.ClearFaults()
			if tc.fault != nil {
				emu.Inject(*tc.fault)
			}
			r, err := New(Options{Config: cfg, Store: keychain.New(keyring.NewArrayKeyring(nil)), LockDir: t.TempDir(), STSEndpoint: emu.Endpoint(),
				SSO: fake, OAuth: fixedOAuth{url: "https://" + emu.Endpoint(), token: oauthTok}, Attempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Resolve(context.Background(), tc.profile)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Logf("%s", msg)
			for _, want := range append([]string{`profile "` + tc.profile + `": `, "\n  what to do: "}, tc.want...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q", want)
				}
			}
			for _, bad := range []string{"{", `"ErrorCode"`, `"error"`, "json.Unmarshal", "get session token", "\x1b", "\a", oauthTok, fake.current} {
				if bad != "" && strings.Contains(msg, bad) {
					t.Errorf("error holds %q", bad)
				}
			}
		})
	}
}
