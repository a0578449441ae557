package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/aliyuncli"
	"github.com/alirole/alirole/keychain"
)

// Import is `alirole import [PROFILES...]`.
func Import(e Env) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "move aliyun CLI profiles (and their plaintext secrets) into alirole",
		ArgsUsage: "[CLI_PROFILE...]",
		Description: "Reads the aliyun CLI's config.json. AccessKeys (AK and RamRoleArn profiles) go into the\n" +
			"keychain; roles, chained roles and other sources become alirole profiles with the same names.\n" +
			"CloudSSO and OAuth profiles become cloudsso and oauth profiles; their tokens go into the keychain.\n" +
			"StsToken profiles are skipped (temporary). Existing alirole profiles are left alone.\n" +
			"Every field of a CLI profile is mapped to an alirole key (region_id, ram_role_arn,\n" +
			"ram_session_name, external_id, sts_region, sts_endpoint, enable_vpc, policy, expired_seconds,\n" +
			"source_profile, ...) or listed as not carried over, with the reason.\n\n" +
			"With --scrub, imported profiles that held a secret are rewritten in config.json as External\n" +
			"profiles that call alirole, with the global options import ran with (as setup-cli writes them;\n" +
			"one backup of the original file is kept in config.json.alirole-backup: delete it once you have\n" +
			"checked the result). Run again with --scrub after a plain import: profiles whose AccessKey alirole\n" +
			"already stores, and CloudSSO and OAuth profiles whose alirole profile signs in the same way,\n" +
			"are scrubbed then. Secrets --scrub cannot remove (StsToken, BearerToken,\n" +
			"RsaKeyPair, profiles that could not be imported) are listed by name with\n" +
			"the reason, and the exit status is 3.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "aliyun CLI config file", DefaultText: "~/.aliyun/config.json"},
			&cli.BoolFlag{Name: "scrub", Usage: "replace the plaintext secrets in config.json with External profiles pointing at alirole"},
		},
		Action: e.importCLI,
	}
}

// exitSecretsRemain is the exit status of `import --scrub` when config.json
// still holds a plaintext secret afterwards.
const exitSecretsRemain = 3

func (e Env) importCLI(c *cli.Context) error {
	cfg, err := e.loadConfig(c)
	if err != nil {
		return err
	}
	path := e.cliConfigPath(c, "from")
	// Held until the scrubbed file is saved, so no concurrent edit is lost.
	unlock, err := aliyuncli.Lock(c.Context, path)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := aliyuncli.Load(path)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range c.Args().Slice() {
		if _, ok := f.Profile(n); !ok {
			return fmt.Errorf("no profile %q in %s", n, path)
		}
		want[n] = true
	}
	var store *keychain.Store
	openStore := func() (*keychain.Store, error) {
		if store == nil {
			s, err := e.openStore(c)
			if err != nil {
				return nil, err
			}
			store = s
		}
		return store, nil
	}
	// why records, per CLI profile, why its secrets stay in config.json.
	why := map[string]string{}
	var selected, pending, scrub []aliyuncli.Profile
	for _, p := range f.Profiles() {
		if len(want) > 0 && !want[p.Name] {
			continue
		}
		selected = append(selected, p)
		if have, err := cfg.Profile(p.Name); err == nil {
			// A re-run (import's own advice is "run again with --scrub"):
			// the profile was imported before; scrub it when alirole holds
			// the very key config.json does.
			if c.Bool("scrub") && isSignInMode(p) {
				if reason, err := e.rescrubSignIn(c, &store, have, p); err != nil {
					return err
				} else if reason == "" {
					scrub = append(scrub, p)
				} else {
					fmt.Fprintf(e.Stderr, "skip %s: %s\n", p.Name, reason)
					why[p.Name] = reason
				}
				continue
			}
			if !c.Bool("scrub") || p.AccessKeyID == "" || p.AccessKeySecret == "" {
				fmt.Fprintf(e.Stderr, "skip %s: alirole already has a profile of that name\n", p.Name)
				why[p.Name] = "alirole already has a profile of that name"
				continue
			}
			st, err := openStore()
			if err != nil {
				return err
			}
			ak, err := st.AccessKey(p.Name)
			switch {
			case errors.Is(err, keychain.ErrNotFound):
				why[p.Name] = "alirole has a profile of that name but no stored AccessKey for it; store one with 'alirole add " + p.Name + "' first"
			case err != nil:
				return fmt.Errorf("read stored AccessKey of %s: %w", p.Name, err)
			case ak.ID != p.AccessKeyID || ak.Secret != p.AccessKeySecret:
				why[p.Name] = "alirole's stored AccessKey for " + p.Name + " is not the one in config.json"
			default:
				fmt.Fprintf(e.Stderr, "%s: already imported, stored AccessKey matches\n", p.Name)
				scrub = append(scrub, p)
				continue
			}
			fmt.Fprintf(e.Stderr, "skip %s: %s\n", p.Name, why[p.Name])
			continue
		}
		kind, reason := aliyuncli.Classify(p)
		if kind == aliyuncli.ImportSkip {
			fmt.Fprintf(e.Stderr, "skip %s: %s\n", p.Name, reason)
			why[p.Name] = reason
			continue
		}
		pending = append(pending, p)
	}
	// Chained roles need their source profile first: retry until no
	// progress, so the order in config.json does not matter.
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var left []aliyuncli.Profile
		for _, p := range pending {
			keys, dropped := importKeys(p, f.Fields(p.Name))
			// The section is written first (and validated by AppendProfile),
			// so no key is stored for a profile alirole could not use.
			if _, err := config.AppendProfile(cfg.Path, p.Name, keys); err != nil {
				left = append(left, p)
				continue
			}
			if moved, err := e.importTokens(c, &store, p); err != nil {
				return err
			} else if moved {
				scrub = append(scrub, p)
			} else if isSignInMode(p) && hasPlainCredentials(p) {
				scrub = append(scrub, p) // cached STS credentials only
			}
			if p.AccessKeyID != "" && p.AccessKeySecret != "" && !isSignInMode(p) {
				st, err := openStore()
				if err != nil {
					return err
				}
				if err := st.SetAccessKey(p.Name, keychain.AccessKey{ID: p.AccessKeyID, Secret: p.AccessKeySecret}); err != nil {
					return fmt.Errorf("store AccessKey of %s: %w", p.Name, err)
				}
				scrub = append(scrub, p)
			}
			fmt.Fprintf(e.Stderr, "imported %s (%s)\n", p.Name, p.Mode)
			for _, d := range dropped {
				fmt.Fprintf(e.Stderr, "  not carried over: %s (%s)\n", d.Key, d.Value)
			}
			progress = true
		}
		pending = left
	}
	for _, p := range pending {
		keys, _ := importKeys(p, f.Fields(p.Name))
		_, err := config.AppendProfile(cfg.Path, p.Name, keys)
		fmt.Fprintf(e.Stderr, "skip %s: %v\n", p.Name, err)
		why[p.Name] = fmt.Sprintf("not imported: %v", err)
	}
	if !c.Bool("scrub") || len(scrub) == 0 {
		if len(scrub) > 0 {
			fmt.Fprintf(e.Stderr, "%s still holds the plaintext secrets; run again with --scrub to replace them, or 'alirole setup-cli PROFILE'.\n", path)
		}
		if c.Bool("scrub") {
			return e.reportRemaining(f, path, selected, why)
		}
		return nil
	}
	exe, err := e.Executable()
	if err != nil {
		return fmt.Errorf("find the alirole binary: %w", err)
	}
	global, err := e.exportOptions(c)
	if err != nil {
		return err
	}
	for _, p := range scrub {
		region := p.RegionID
		if region == "" {
			region = "cn-hangzhou"
		}
		if _, err := f.SetExternal(p.Name, aliyuncli.ProcessCommandWith(exe, global, p.Name), region); err != nil {
			return fmt.Errorf("scrub %s: %w", p.Name, err)
		}
	}
	backup, err := f.Save(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "Replaced the secrets of %d profile(s) in %s with External profiles that call alirole.\n", len(scrub), path)
	fmt.Fprintf(e.Stderr, "Your original file (as it was before alirole first changed it), WITH its plaintext secrets, is kept in %s: delete it once the new profiles work.\n%s\n", backup, writebackWarning)
	return e.reportRemaining(f, path, selected, why)
}

// reportRemaining lists the selected profiles that still hold a plaintext
// secret in config.json after --scrub, with the reason, and makes the exit
// status say so.
func (e Env) reportRemaining(f *aliyuncli.File, path string, selected []aliyuncli.Profile, why map[string]string) error {
	n := 0
	for _, p := range selected {
		fields := f.SecretFields(p.Name)
		if len(fields) == 0 {
			continue
		}
		if n == 0 {
			fmt.Fprintf(e.Stderr, "Secrets --scrub could not remove from %s:\n", path)
		}
		n++
		reason := why[p.Name]
		if reason == "" {
			reason = "not imported"
		}
		fmt.Fprintf(e.Stderr, "  %s (%s): %s\n", p.Name, strings.Join(fields, ", "), reason)
	}
	if n == 0 {
		return nil
	}
	return cli.Exit(fmt.Sprintf("%d profile(s) in %s still hold plaintext secrets (see above); remove them with 'aliyun configure delete --profile NAME' or by hand", n, path), exitSecretsRemain)
}

// fieldNotCarried says why import leaves an aliyun CLI profile field out of
// the alirole profile. Fields are those of the CLI's Profile struct
// (aliyun-cli config/profile.go) and credentials-go's
// (providers/cli_profile.go profile).
var fieldNotCarried = map[string]string{
	"sts_token":                      "temporary STS token",
	"sts_expiration":                 "expiry of a temporary STS token",
	"private_key":                    "RsaKeyPair is not supported",
	"key_pair_name":                  "RsaKeyPair is not supported",
	"verified":                       "aliyun CLI bookkeeping",
	"output_format":                  "aliyun CLI setting, stays in config.json",
	"language":                       "aliyun CLI setting, stays in config.json",
	"site":                           "aliyun CLI setting, stays in config.json",
	"retry_timeout":                  "aliyun CLI setting, stays in config.json",
	"connect_timeout":                "aliyun CLI setting, stays in config.json",
	"retry_count":                    "aliyun CLI setting, stays in config.json",
	"endpoint_type":                  "the aliyun CLI's service endpoints, stays in config.json; alirole's STS calls use sts_endpoint/enable_vpc",
	"endpoint":                       "the aliyun CLI's service endpoint, stays in config.json",
	"external_account_type":          "aliyun CLI setting, stays in config.json",
	"auto_plugin_install":            "aliyun CLI setting, stays in config.json",
	"auto_plugin_install_enable_pre": "aliyun CLI setting, stays in config.json",
	"oidc_token":                     "alirole reads OIDC tokens from oidc_token_file only",
	"bearer_token":                   "BearerToken mode is not supported",
	"bearer_token_header_key":        "BearerToken mode is not supported",
	"cloud_sso_sign_in_url":          "not used in this mode",
	"cloud_sso_access_config":        "not used in this mode",
	"cloud_sso_account_id":           "not used in this mode",
	"cloud_sso_access_token_expire":  "not used in this mode",
	"access_token":                   "not used in this mode",
	"oauth_access_token":             "not used in this mode",
	"oauth_refresh_token":            "not used in this mode",
	"oauth_access_token_expire":      "not used in this mode",
	"oauth_refresh_token_expire":     "not used in this mode",
	"oauth_site_type":                "not used in this mode",
}

// importKeys maps an aliyun CLI profile to alirole profile keys, and
// returns the fields set in the file (present) that it did not carry over,
// each with the reason (as Key and Value).
func importKeys(p aliyuncli.Profile, present []string) (keys, dropped []config.KeyValue) {
	used := map[string]bool{"name": true, "mode": true}
	kv := func(k, v string) config.KeyValue { return config.KeyValue{Key: k, Value: v} }
	add := func(cliKey, key, v string) {
		used[cliKey] = true
		if v != "" {
			keys = append(keys, kv(key, v))
		}
	}
	add("region_id", "region_id", p.RegionID)
	// Role settings, as the CLI's GetCallerIdentity paths and credentials-go's
	// CLI-profile provider read them (RamRoleArn, ChainableRamRoleArn,
	// RamRoleArnWithRoleName, OIDC).
	role := func() {
		add("ram_role_arn", "ram_role_arn", p.RamRoleArn)
		add("ram_session_name", "ram_session_name", p.RamSessionName)
		add("external_id", "external_id", p.ExternalID)
		add("sts_region", "sts_region", p.StsRegion)
		add("sts_endpoint", "sts_endpoint", p.StsEndpoint)
		add("policy", "policy", p.Policy)
		used["enable_vpc"] = true
		if p.EnableVpc {
			keys = append(keys, kv("enable_vpc", "true"))
		}
		used["expired_seconds"] = true
		if p.ExpiredSeconds > 0 {
			keys = append(keys, kv("expired_seconds", strconv.Itoa(p.ExpiredSeconds)))
		}
	}
	mode := aliyuncli.CanonicalMode(p.Mode)
	switch mode {
	case "AK":
		used["access_key_id"], used["access_key_secret"] = true, true
	case "RamRoleArn":
		used["access_key_id"], used["access_key_secret"] = true, true
		role()
	case "ChainableRamRoleArn":
		add("source_profile", "source_profile", p.SourceProfile)
		role()
	case "RamRoleArnWithRoleName":
		keys = append(keys, kv("credential_source", config.SourceECSRAMRole))
		add("ram_role_name", "ecs_ram_role_name", p.RamRoleName)
		role()
	case "EcsRamRole":
		keys = append(keys, kv("credential_source", config.SourceECSRAMRole))
		add("ram_role_name", "ecs_ram_role_name", p.RamRoleName)
	case "OIDC":
		keys = append(keys, kv("credential_source", config.SourceOIDC))
		add("oidc_provider_arn", "oidc_provider_arn", p.OIDCProviderArn)
		add("oidc_token_file", "oidc_token_file", p.OIDCTokenFile)
		role()
	case "CredentialsURI":
		keys = append(keys, kv("credential_source", config.SourceCredentialsURI))
		add("credentials_uri", "credentials_uri", p.CredentialsURI)
	case "External":
		keys = append(keys, kv("credential_source", config.SourceExternal))
		add("process_command", "process_command", p.ProcessCommand)
	case "CloudSSO":
		// The access token (and the cached STS keys) are not profile keys:
		// importTokens moves the token into the keychain.
		used["access_key_id"], used["access_key_secret"], used["sts_token"] = true, true, true
		used["access_token"], used["cloud_sso_access_token_expire"] = true, true
		keys = append(keys, kv("credential_source", config.SourceCloudSSO))
		add("cloud_sso_sign_in_url", "cloud_sso_sign_in_url", p.CloudSSOSignInURL)
		add("cloud_sso_account_id", "cloud_sso_account_id", p.CloudSSOAccountID)
		add("cloud_sso_access_config", "cloud_sso_access_config", p.CloudSSOAccessConfig)
	case "OAuth":
		used["access_key_id"], used["access_key_secret"], used["sts_token"] = true, true, true
		for _, k := range []string{"oauth_access_token", "oauth_refresh_token", "oauth_access_token_expire", "oauth_refresh_token_expire"} {
			used[k] = true
		}
		keys = append(keys, kv("credential_source", config.SourceOAuth))
		add("oauth_site_type", "oauth_site_type", strings.ToUpper(p.OAuthSiteType))
	}
	for _, k := range present {
		if used[k] {
			continue
		}
		reason, ok := fieldNotCarried[k]
		if !ok {
			reason = "not used in mode " + mode
			if !knownCLIField(k) {
				reason = "unknown field"
			}
		}
		dropped = append(dropped, kv(k, reason))
	}
	return keys, dropped
}

// knownCLIField reports whether k is a field of either client's profile.
func knownCLIField(k string) bool {
	switch k {
	case "access_key_id", "access_key_secret", "ram_role_arn", "ram_session_name", "external_id", "sts_region",
		"sts_endpoint", "policy", "enable_vpc", "expired_seconds", "source_profile", "ram_role_name",
		"oidc_provider_arn", "oidc_token_file", "credentials_uri", "process_command", "region_id":
		return true
	}
	_, ok := fieldNotCarried[k]
	return ok
}
