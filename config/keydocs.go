package config

// KeyDoc describes one profile key for the generated reference (man page,
// docs/commands.md).
type KeyDoc struct {
	Key, Meaning string
}

// keyMeaning holds a sentence per known key; a test keeps it complete.
var keyMeaning = map[string]string{
	keyRegionID:             "region handed to programs (inherited along source_profile)",
	keySourceProfile:        "profile whose credentials this one starts from",
	keyRamRoleArn:           "role to assume, acs:ram::<account-id>:role/<name> (account id: 12-16 digits); on a profile without source_profile, its own stored key (or credential_source) assumes it",
	keyRamSessionName:       "RoleSessionName, 2-64 of letters, digits and _ . @ - (default: your OS user name)",
	keyExternalID:           "ExternalId the role's trust policy requires",
	keyExpiredSeconds:       "session length in seconds, 900-43200, at most the role's MaxSessionDuration (default 3600)",
	keyDuration:             "session length as a duration (2h, 90m) or seconds; the same as expired_seconds",
	keyStsRegion:            "region whose STS endpoint this hop calls",
	keyStsEndpoint:          "STS host[:port] this hop calls (overrides sts_region)",
	keyPolicy:               "inline session policy (JSON) narrowing the role's permissions",
	keyPolicyFile:           "file holding the session policy, relative to the config file",
	keyEnableVPC:            "true: call the VPC STS endpoint of sts_region",
	keyCredentialSource:     "a root that is not a stored key: ecs_ram_role, oidc, credentials_uri, external, aliyun_cli_profile, cloudsso or oauth",
	keyECSRoleName:          "ecs_ram_role: the instance's RAM role (default: discovered)",
	keyOIDCProviderArn:      "oidc: acs:ram::<account-id>:oidc-provider/<name>",
	keyOIDCTokenFile:        "oidc: file holding the OIDC token, re-read on every refresh",
	keyCredentialsURI:       "credentials_uri: URL that answers with credentials",
	keyProcessCommand:       "external: command (run without a shell) that prints credentials JSON",
	keyCLIProfile:           "aliyun_cli_profile: profile name in the aliyun CLI's config.json",
	keyCLIConfigFile:        "aliyun_cli_profile: that config.json (default ~/.aliyun/config.json)",
	keyCloudSSOSignInURL:    "cloudsso: the user portal sign-in URL, e.g. https://signin-cn-shanghai.alibabacloudsso.com/start/login",
	keyCloudSSOAccountID:    "cloudsso: the Resource Directory account whose access configuration is used",
	keyCloudSSOAccessConfig: "cloudsso: the access configuration id (ac-...) the portal issues STS credentials for",
	keyOAuthSiteType:        "oauth: CN or INTL, the site the OAuth sign-in uses",
	keyMinSession:           "exec: refresh first, then warn, when the session ends sooner than this (like --min-session, which overrides it; 0 turns it off)",
	keyAllowLongTermKey:     "true: no warning when exec or export hand out this role-less profile's long-term AccessKey",
}

// KeyDocs lists every key a profile may have, in the order of knownKeys.
func KeyDocs() []KeyDoc {
	out := make([]KeyDoc, 0, len(knownKeys))
	for _, k := range knownKeys {
		out = append(out, KeyDoc{Key: k, Meaning: keyMeaning[k]})
	}
	return out
}
