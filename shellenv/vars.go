// Package shellenv decides which environment variables carry credentials to
// Alibaba Cloud clients (aliyun CLI, credentials-go, Terraform and older SDKs)
// and prints them in the syntax of each shell or file format.
package shellenv

import (
	"strings"
	"time"

	"github.com/alirole/alirole/internal/creds"
)

// Var is one environment variable to set.
type Var struct{ Name, Value string }

// Options are the non-credential parts of the environment.
type Options struct {
	// Region is the region ID to advertise; "" sets no region variable.
	Region string
	// Profile is the alirole profile name, exported so that child programs
	// (prompts, nested invocations) can tell which profile they run under.
	// "" sets no ALIROLE_PROFILE.
	Profile string
}

// Names of the variables alirole itself defines.
const (
	EnvProfile           = "ALIROLE_PROFILE"
	EnvSessionExpiration = "ALIROLE_SESSION_EXPIRATION"
	// EnvFilePassphrase unlocks the file keyring; it must never leak into a
	// child, so it is scrubbed with the stale credentials.
	EnvFilePassphrase = "ALIROLE_FILE_PASSPHRASE"
)

// Variable prefixes, in the order the clients prefer them.
const (
	prefixAlibabaCloud = "ALIBABA_CLOUD_"
	prefixAlibabacloud = "ALIBABACLOUD_"
	prefixAlicloud     = "ALICLOUD_"
)

// Vars returns the variables that hand c to every known client, in a stable
// order. Token variables are set only for STS credentials, so a long-term key
// is never paired with a leftover token. The IGNORE_PROFILE switches stop the
// aliyun CLI from preferring its own configured profile over the environment.
func Vars(c creds.Credentials, o Options) []Var {
	sts := c.IsSTS()
	region := o.Region != ""
	var vs []Var
	add := func(name, value string) { vs = append(vs, Var{Name: name, Value: value}) }

	for _, p := range []string{prefixAlibabaCloud, prefixAlibabacloud, prefixAlicloud} {
		add(p+"ACCESS_KEY_ID", c.AccessKeyID)
		add(p+"ACCESS_KEY_SECRET", c.AccessKeySecret)
		if sts {
			add(p+"SECURITY_TOKEN", c.SecurityToken)
		}
		if region {
			add(p+"REGION_ID", o.Region)
			// Terraform reads ALIBABA_CLOUD_REGION; no client reads
			// ALIBABACLOUD_REGION.
			if p == prefixAlibabaCloud {
				add(p+"REGION", o.Region)
			}
		}
	}
	// Terraform's own spellings. ALICLOUD_SECURITY_TOKEN is already set
	// above and serves Terraform too.
	add("ALICLOUD_ACCESS_KEY", c.AccessKeyID)
	add("ALICLOUD_SECRET_KEY", c.AccessKeySecret)
	if region {
		add("ALICLOUD_REGION", o.Region)
	}
	add("ALIBABA_CLOUD_IGNORE_PROFILE", "TRUE")
	add("ALIBABACLOUD_IGNORE_PROFILE", "TRUE")
	if o.Profile != "" {
		add(EnvProfile, o.Profile)
	}
	if c.Expires() {
		add(EnvSessionExpiration, c.ExpirationString())
	}
	return vs
}

// ManagedNames returns every name Vars can set, in Vars order, so that an
// --unset can clear whatever an earlier export left behind.
func ManagedNames() []string {
	all := Vars(creds.Credentials{
		AccessKeyID:     "x",
		AccessKeySecret: "x",
		SecurityToken:   "x",
		Expiration:      time.Unix(1, 0),
	}, Options{Region: "x", Profile: "x"})
	names := make([]string, len(all))
	for i, v := range all {
		names[i] = v.Name
	}
	return names
}

// extraStale lists what a child must not inherit besides ManagedNames:
// anything a client could pick instead of (or mix with) the credentials we
// set, and our own secrets.
//
// The list follows what each client reads (see also the client models in
// e2e/clients):
//   - aliyun CLI, config/profile.go OverwriteWithFlags: key, secret and token
//     under ALIBABA_CLOUD_/ALIBABACLOUD_/ALICLOUD_ and bare ACCESS_KEY_ID,
//     ACCESS_KEY_SECRET, SECURITY_TOKEN; ALIBABA_CLOUD_CREDENTIALS_URI;
//     ALIBABA_CLOUD_BEARER_TOKEN(_HEADER_KEY); ALIBABACLOUD_/ALIBABA_CLOUD_
//     OIDC_PROVIDER_ARN, OIDC_TOKEN_FILE, ROLE_ARN and EXTERNAL_ID, which
//     AutoModeRecognition turns into RamRoleArn or OIDC mode around our key;
//     ALIBABA_CLOUD_PROFILE_MODE=Anonymous, which drops credentials
//     altogether (config/configuration.go LoadProfileWithContext).
//   - Terraform alicloud provider, alicloud/provider.go Provider and
//     assumeRoleSchema/assumeRoleWithOidcSchema: ALICLOUD_PROFILE,
//     ALICLOUD_CREDENTIALS_URI, ALICLOUD_ECS_ROLE_NAME,
//     ALIBABA_CLOUD_ECS_METADATA, and for an assume_role {} block
//     ALICLOUD_ASSUME_ROLE_ARN, ALICLOUD_ASSUME_ROLE_SESSION_NAME,
//     ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION (providerConfigure), with
//     ALIBABA_CLOUD_ROLE_ARN / _ROLE_SESSION_NAME as fallbacks.
//   - credentials-go v1.4.14 providers: ALIBABA_CLOUD_OIDC_* and ALIBABA_CLOUD_ROLE_* (oidc.go,
//     ram_role_arn.go), and ram_role_arn.go's ALICLOUD_ROLE_ARN,
//     ALICLOUD_ROLE_SESSION_NAME, ALICLOUD_ROLE_SESSION_EXPIRATION.
//
// Config-file locations (ALIBABA_CLOUD_CONFIG_FILE, Terraform's
// ALICLOUD_SHARED_CREDENTIALS_FILE / ALIBABA_CLOUD_CREDENTIALS_FILE) stay:
// each client reads a file only for a profile named by a variable removed
// here, or after the environment keys we set.
var extraStale = []string{
	// Profile selection in the aliyun CLI, credentials-go and Terraform.
	"ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE", "ALICLOUD_PROFILE",
	// Credentials URI.
	"ALIBABA_CLOUD_CREDENTIALS_URI", "ALICLOUD_CREDENTIALS_URI",
	// The aliyun CLI's last-resort key variables.
	"ACCESS_KEY_ID", "ACCESS_KEY_SECRET", "SECURITY_TOKEN",
	// The aliyun CLI's other credential modes.
	"ALIBABA_CLOUD_BEARER_TOKEN", "ALIBABA_CLOUD_BEARER_TOKEN_HEADER_KEY", "ALIBABA_CLOUD_PROFILE_MODE",
	// OIDC role federation and role settings (aliyun CLI, credentials-go,
	// Terraform) under every spelling.
	"ALIBABA_CLOUD_ROLE_ARN", "ALIBABACLOUD_ROLE_ARN", "ALICLOUD_ROLE_ARN",
	"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABACLOUD_OIDC_PROVIDER_ARN",
	"ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABACLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_OIDC_TOKEN",
	"ALIBABA_CLOUD_ROLE_SESSION_NAME", "ALICLOUD_ROLE_SESSION_NAME", "ALICLOUD_ROLE_SESSION_EXPIRATION",
	"ALIBABA_CLOUD_EXTERNAL_ID", "ALIBABACLOUD_EXTERNAL_ID",
	// Terraform's assume_role {} defaults.
	"ALICLOUD_ASSUME_ROLE_ARN", "ALICLOUD_ASSUME_ROLE_SESSION_NAME", "ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION",
	// ECS instance RAM role.
	"ALIBABA_CLOUD_ECS_METADATA", "ALICLOUD_ECS_ROLE_NAME",
	// Our own secret.
	EnvFilePassphrase,
}

// StaleNames returns every variable to remove from a child's environment
// before adding ours: credentials, tokens, regions, profile choices,
// credential URIs and OIDC/ECS role settings under all spellings, plus
// alirole's own variables. Order is stable; names are unique.
func StaleNames() []string {
	managed := ManagedNames()
	names := make([]string, 0, len(managed)+len(extraStale))
	seen := make(map[string]bool, cap(names))
	for _, list := range [][]string{managed, extraStale} {
		for _, n := range list {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	return names
}

// envName returns the name part of a "NAME=value" entry. Windows keeps
// per-drive entries such as "=C:=C:\dir" whose name starts with '=', so the
// separator is searched from the second byte.
func envName(entry string) string {
	if entry == "" {
		return ""
	}
	if i := strings.IndexByte(entry[1:], '='); i >= 0 {
		return entry[:i+1]
	}
	return entry
}

// Scrub returns environ without the entries named by StaleNames (exact,
// case-sensitive name match), keeping the order of the rest. environ is not
// modified.
func Scrub(environ []string) []string {
	return without(environ, StaleNames())
}

func without(environ []string, names []string) []string {
	drop := make(map[string]bool, len(names))
	for _, n := range names {
		drop[n] = true
	}
	out := make([]string, 0, len(environ))
	for _, e := range environ {
		if !drop[envName(e)] {
			out = append(out, e)
		}
	}
	return out
}

// Merge scrubs environ and appends vars, replacing any entry (stale or not)
// that has the same name as one of vars. When vars names a variable twice,
// the last one wins. environ is not modified.
func Merge(environ []string, vars []Var) []string {
	names := StaleNames()
	for _, v := range vars {
		names = append(names, v.Name)
	}
	out := without(environ, names)
	last := make(map[string]int, len(vars))
	for i, v := range vars {
		last[v.Name] = i
	}
	for i, v := range vars {
		if last[v.Name] == i {
			out = append(out, v.Name+"="+v.Value)
		}
	}
	return out
}

// CLIProfileVars adapts vars for a child that is the aliyun CLI itself and
// gets a config file of its own (aliyuncli.ExecConfig): without the
// IGNORE_PROFILE switches, which would make the CLI build its own profile
// with region cn-hangzhou (config/configuration.go LoadProfileWithContext),
// and with ALIBABA_CLOUD_PROFILE naming the file's profile (getProfileName
// reads ALIBABACLOUD_PROFILE › ALIBABA_CLOUD_PROFILE › ALICLOUD_PROFILE;
// Merge removes the other two). vars is not modified.
func CLIProfileVars(vars []Var, cliProfile string) []Var {
	out := make([]Var, 0, len(vars)+1)
	for _, v := range vars {
		if v.Name != "ALIBABA_CLOUD_IGNORE_PROFILE" && v.Name != "ALIBABACLOUD_IGNORE_PROFILE" {
			out = append(out, v)
		}
	}
	return append(out, Var{Name: "ALIBABA_CLOUD_PROFILE", Value: cliProfile})
}
