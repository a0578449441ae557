package config

import (
	"strings"
	"testing"
)

const ssoProfile = `[profile sso]
credential_source = cloudsso
cloud_sso_sign_in_url = https://signin-cn-shanghai.alibabacloudsso.com/start/login
cloud_sso_account_id = 1234567890123456
cloud_sso_access_config = ac-0123abcd
region_id = cn-shanghai

[profile prod]
source_profile = sso
ram_role_arn = acs:ram::1234567890123456:role/prod
`

func TestCloudSSOProfile(t *testing.T) {
	_, chain := parseChain(t, ssoProfile, "prod")
	root := chain[0]
	if root.CredentialSource != SourceCloudSSO || root.CloudSSOSignInURL != "https://signin-cn-shanghai.alibabacloudsso.com/start/login" ||
		root.CloudSSOAccountID != "1234567890123456" || root.CloudSSOAccessConfig != "ac-0123abcd" || !chain[1].AssumesRole() {
		t.Fatalf("chain: %+v %+v", root, chain[1])
	}
	cfg, err := parseString(t, "[profile o]\ncredential_source = oauth\noauth_site_type = intl\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := cfg.Profile("o"); o.OAuthSiteType != OAuthSiteINTL || o.CredentialSource != SourceOAuth {
		t.Fatalf("oauth profile %+v", o)
	}
	// The emulator's plain-http loopback URL is accepted.
	if _, err := parseString(t, strings.Replace(ssoProfile, "https://signin-cn-shanghai.alibabacloudsso.com", "http://127.0.0.1:8080", 1), nil); err != nil {
		t.Fatal(err)
	}
}

func TestCloudSSOProfileErrors(t *testing.T) {
	base := "[profile a]\ncredential_source = cloudsso\n"
	full := base + "cloud_sso_sign_in_url = https://x.example/start/login\ncloud_sso_account_id = 12345\ncloud_sso_access_config = ac-1\n"
	tests := []struct {
		name, src string
		line      int
		key, msg  string
	}{
		{"http remote", strings.Replace(full, "https://x.example", "http://x.example", 1), 3, "cloud_sso_sign_in_url", "https: the access token must not travel in clear text"},
		{"not a url", strings.Replace(full, "https://x.example/start/login", "signin.example", 1), 3, "cloud_sso_sign_in_url", "expected the CloudSSO user portal sign-in URL"},
		{"query", strings.Replace(full, "/start/login", "/start/login?x=1", 1), 3, "cloud_sso_sign_in_url", "without ?query"},
		{"userinfo", strings.Replace(full, "https://x.example", "https://u:p@x.example", 1), 3, "cloud_sso_sign_in_url", "without user:password@"},
		{"account", strings.Replace(full, "= 12345", "= acct-1", 1), 4, "cloud_sso_account_id", "5-20 digits"},
		{"access config name", strings.Replace(full, "= ac-1", "= Admin", 1), 5, "cloud_sso_access_config", "the id, not the name"},
		{"missing account", strings.Replace(full, "cloud_sso_account_id = 12345\n", "", 1), 2, "cloud_sso_account_id", "missing; required with credential_source = cloudsso"},
		{"oauth site", "[profile a]\ncredential_source = oauth\noauth_site_type = EU\n", 3, "oauth_site_type", "expected CN (signin.aliyun.com) or INTL"},
		{"oauth site missing", "[profile a]\ncredential_source = oauth\n", 2, "oauth_site_type", "missing; required with credential_source = oauth"},
		{"key on other source", "[profile a]\ncredential_source = external\nprocess_command = x\ncloud_sso_account_id = 12345\n", 4, "cloud_sso_account_id", "only applies to credential_source = cloudsso"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := oneError(t, tt.src)
			if e.File != testPath || e.Line != tt.line || e.Profile != "a" || e.Key != tt.key || !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("got %s:%d %q %q: %s", e.File, e.Line, e.Profile, e.Key, e.Msg)
			}
		})
	}
}
