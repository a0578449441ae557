package aliyuncli

import (
	"path/filepath"
	"runtime"
	"strings"
)

// ImportKind says what `alirole import` can do with an aliyun CLI profile.
type ImportKind int

const (
	// ImportSkip: nothing long-term to import, or a mode alirole does not
	// support; Classify's reason says which.
	ImportSkip ImportKind = iota
	// ImportAK: a long-term AccessKey to move into the keychain.
	ImportAK
	// ImportRole: a role to assume. Its source is the profile's own
	// AccessKey (RamRoleArn), another profile (ChainableRamRoleArn,
	// source_profile) or the ECS instance role (RamRoleArnWithRoleName,
	// ram_role_name).
	ImportRole
	// ImportSource: credentials obtained without an AccessKey (ECS role,
	// OIDC, credentials URI, external process) that an alirole profile can
	// reference natively or through the aliyun CLI profile.
	ImportSource
)

func (k ImportKind) String() string {
	switch k {
	case ImportAK:
		return "ak"
	case ImportRole:
		return "role"
	case ImportSource:
		return "source"
	default:
		return "skip"
	}
}

// modes are the aliyun CLI's mode names; the CLI matches them ignoring case.
var modes = []string{
	"AK", "StsToken", "RamRoleArn", "EcsRamRole", "RsaKeyPair",
	"RamRoleArnWithRoleName", "ChainableRamRoleArn", "External",
	"CredentialsURI", "OIDC", "CloudSSO", "OAuth", "BearerToken", "Anonymous",
}

// CanonicalMode returns the aliyun CLI's spelling of mode, or mode itself
// when it is not a known mode.
func CanonicalMode(mode string) string {
	for _, m := range modes {
		if strings.EqualFold(m, mode) {
			return m
		}
	}
	return mode
}

// Classify tells import what to do with p and why, in a short phrase
// fit for showing to the user (it never contains secrets).
func Classify(p Profile) (ImportKind, string) {
	return classify(runtime.GOOS, p)
}

func classify(goos string, p Profile) (ImportKind, string) {
	hasAK := p.AccessKeyID != "" && p.AccessKeySecret != ""
	switch mode := CanonicalMode(p.Mode); mode {
	case "":
		return ImportSkip, "no mode: profile not configured"
	case "AK":
		if !hasAK {
			return ImportSkip, "AK profile without access_key_id and access_key_secret"
		}
		return ImportAK, "long-term AccessKey"
	case "StsToken":
		return ImportSkip, "temporary STS token: nothing long-term to import"
	case "RamRoleArn":
		switch {
		case p.RamRoleArn == "" || !hasAK:
			return ImportSkip, "RamRoleArn profile without ram_role_arn or AccessKey"
		case p.StsToken != "":
			return ImportSkip, "RamRoleArn profile whose source credentials are temporary (sts_token)"
		}
		return ImportRole, "role assumed with the profile's AccessKey"
	case "ChainableRamRoleArn":
		if p.RamRoleArn == "" || p.SourceProfile == "" {
			return ImportSkip, "ChainableRamRoleArn profile without ram_role_arn or source_profile"
		}
		return ImportRole, "role assumed from source profile " + p.SourceProfile
	case "RamRoleArnWithRoleName":
		if p.RamRoleArn == "" {
			return ImportSkip, "RamRoleArnWithRoleName profile without ram_role_arn"
		}
		return ImportRole, "role assumed from the ECS instance RAM role"
	case "EcsRamRole":
		return ImportSource, "ECS instance RAM role"
	case "OIDC":
		if p.RamRoleArn == "" || p.OIDCProviderArn == "" || p.OIDCTokenFile == "" {
			return ImportSkip, "OIDC profile without ram_role_arn, oidc_provider_arn or oidc_token_file"
		}
		return ImportSource, "OIDC role"
	case "CredentialsURI":
		return ImportSource, "credentials URI"
	case "External":
		args, err := splitCommand(goos, p.ProcessCommand)
		if err != nil {
			return ImportSkip, "External profile with an unusable process_command"
		}
		if runsAlirole(args) {
			// Importing it would make alirole call itself through the CLI.
			return ImportSkip, "already delegates to alirole"
		}
		return ImportSource, "external credential process"
	case "RsaKeyPair":
		return ImportSkip, "RsaKeyPair mode is deprecated and not supported"
	case "CloudSSO":
		if p.CloudSSOSignInURL == "" || p.CloudSSOAccountID == "" || p.CloudSSOAccessConfig == "" {
			return ImportSkip, "CloudSSO profile without cloud_sso_sign_in_url, cloud_sso_account_id or cloud_sso_access_config"
		}
		return ImportSource, "CloudSSO access configuration"
	case "OAuth":
		if s := strings.ToUpper(p.OAuthSiteType); s != "CN" && s != "INTL" {
			return ImportSkip, "OAuth profile without oauth_site_type CN or INTL"
		}
		return ImportSource, "OAuth sign-in"
	case "BearerToken", "Anonymous":
		return ImportSkip, mode + " mode carries no AccessKey credentials"
	default:
		return ImportSkip, "unknown mode " + p.Mode
	}
}

func runsAlirole(args []string) bool {
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(args[0], `\`, "/")))
	base = strings.TrimSuffix(base, ".exe")
	return base == "alirole" && len(args) > 1 && args[1] == "export"
}
