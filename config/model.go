// Package config reads alirole's profile file: an INI file that names
// profiles, how each gets its credentials and which roles it assumes. It holds
// no secrets; long-term keys live in the keychain.
//
// It stays at the module root although nothing outside imports it: it is the
// first stage of the data path (config → resolve → keychain → exec/shellenv),
// and the root shows that path.
package config

import "time"

// Source kinds for credential_source. The empty kind means "an AccessKey
// stored in the keychain under this profile's name".
const (
	SourceKeychain         = ""
	SourceECSRAMRole       = "ecs_ram_role"
	SourceOIDC             = "oidc"
	SourceCredentialsURI   = "credentials_uri"
	SourceExternal         = "external"
	SourceAliyunCLIProfile = "aliyun_cli_profile"
	SourceCloudSSO         = "cloudsso"
	SourceOAuth            = "oauth"
)

// Profile is one [profile NAME] (or [default]) section after validation.
type Profile struct {
	Name string
	// File and Line locate the section header, for error messages.
	File string
	Line int

	RegionID string

	// SourceProfile names the profile whose credentials this one starts
	// from. Empty for a root profile.
	SourceProfile string

	// Role hop (optional on a root profile, required with SourceProfile
	// unless the profile only overrides region).
	RamRoleArn     string
	RamSessionName string
	ExternalID     string
	// Duration is the requested session length; 0 means the STS default
	// (3600 s).
	Duration    time.Duration
	StsRegion   string
	StsEndpoint string
	// Policy is the inline session policy text (from policy or the content
	// of policy_file).
	Policy string
	// PolicyFile is the resolved path Policy was read from; empty for an
	// inline policy.
	PolicyFile string
	EnableVPC  bool

	// CredentialSource is one of the Source* constants; only on root
	// profiles.
	CredentialSource string
	// Paths (OIDCTokenFile, CLIConfigFile, PolicyFile) are resolved at load:
	// "~/" expanded, relative ones taken from the config file's directory.

	// ECS RAM role source: role attached to the instance (empty = discover).
	ECSRoleName string
	// OIDC source: the role assumed with the OIDC token is RamRoleArn.
	OIDCProviderArn string
	OIDCTokenFile   string
	// credentials_uri source.
	CredentialsURI string
	// external source: command run without a shell.
	ProcessCommand string
	// aliyun_cli_profile source: profile name in the aliyun CLI config and
	// an optional path to that config (default ~/.aliyun/config.json).
	CLIProfile    string
	CLIConfigFile string
	// cloudsso source: the user portal sign-in URL, the account and the
	// access configuration id whose STS credentials the portal hands out.
	CloudSSOSignInURL    string
	CloudSSOAccountID    string
	CloudSSOAccessConfig string
	// oauth source: CN or INTL (the aliyun CLI's oauth_site_type).
	OAuthSiteType string

	// AllowLongTermKey (allow_long_term_key) silences the warning that a
	// program is given this profile's long-term AccessKey.
	AllowLongTermKey bool
	// MinSession (min_session) is exec's --min-session for this profile;
	// set means it was given (0 turns the check off).
	MinSession    time.Duration
	MinSessionSet bool
}

// IsRoot reports whether the profile starts a chain (has no source_profile).
func (p *Profile) IsRoot() bool { return p.SourceProfile == "" }

// UsesKeychainAK reports whether the profile's own credentials are an
// AccessKey stored in the keychain under its name.
func (p *Profile) UsesKeychainAK() bool {
	return p.IsRoot() && p.CredentialSource == SourceKeychain
}

// AssumesRole reports whether this profile adds an AssumeRole hop. An OIDC
// root uses RamRoleArn for AssumeRoleWithOIDC instead.
func (p *Profile) AssumesRole() bool {
	return p.RamRoleArn != "" && !(p.IsRoot() && p.CredentialSource == SourceOIDC)
}

// Warning is a non-fatal finding, such as an unknown key.
type Warning struct {
	File    string
	Line    int
	Profile string
	Key     string
	Message string
}

func (w Warning) String() string {
	return formatLocation(w.File, w.Line, w.Profile, w.Key) + ": " + w.Message
}
