package commands

import (
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
			"With --scrub, imported profiles that held a secret are rewritten in config.json as External\n" +
			"profiles that call alirole, so no secret is left in it (a backup of the old file is kept:\n" +
			"delete it once you have checked the result).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "aliyun CLI config file", DefaultText: "~/.aliyun/config.json"},
			&cli.BoolFlag{Name: "scrub", Usage: "replace the plaintext secrets in config.json with External profiles pointing at alirole"},
		},
		Action: e.importCLI,
	}
}

func (e Env) importCLI(c *cli.Context) error {
	cfg, err := e.loadConfig(c)
	if err != nil {
		return err
	}
	path := e.cliConfigPath(c, "from")
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
	var pending []aliyuncli.Profile
	for _, p := range f.Profiles() {
		if len(want) > 0 && !want[p.Name] {
			continue
		}
		if _, err := cfg.Profile(p.Name); err == nil {
			fmt.Fprintf(e.Stderr, "skip %s: alirole already has a profile of that name\n", p.Name)
			continue
		}
		kind, reason := aliyuncli.Classify(p)
		if kind == aliyuncli.ImportSkip {
			fmt.Fprintf(e.Stderr, "skip %s: %s\n", p.Name, reason)
			continue
		}
		pending = append(pending, p)
	}
	var store *keychain.Store
	var scrub []aliyuncli.Profile
	// Chained roles need their source profile first: retry until no
	// progress, so the order in config.json does not matter.
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var left []aliyuncli.Profile
		for _, p := range pending {
			// The section is written first (and validated by AppendProfile),
			// so no key is stored for a profile alirole could not use.
			if _, err := config.AppendProfile(cfg.Path, p.Name, importKeys(p)); err != nil {
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
				if store == nil {
					if store, err = e.openStore(c); err != nil {
						return err
					}
				}
				if err := store.SetAccessKey(p.Name, keychain.AccessKey{ID: p.AccessKeyID, Secret: p.AccessKeySecret}); err != nil {
					return fmt.Errorf("store AccessKey of %s: %w", p.Name, err)
				}
				scrub = append(scrub, p)
			}
			fmt.Fprintf(e.Stderr, "imported %s (%s)\n", p.Name, p.Mode)
			progress = true
		}
		pending = left
	}
	for _, p := range pending {
		_, err := config.AppendProfile(cfg.Path, p.Name, importKeys(p))
		fmt.Fprintf(e.Stderr, "skip %s: %v\n", p.Name, err)
	}
	if !c.Bool("scrub") || len(scrub) == 0 {
		if len(scrub) > 0 {
			fmt.Fprintf(e.Stderr, "%s still holds the plaintext secrets; run again with --scrub to replace them, or 'alirole setup-cli PROFILE'.\n", path)
		}
		return nil
	}
	exe, err := e.Executable()
	if err != nil {
		return fmt.Errorf("find the alirole binary: %w", err)
	}
	for _, p := range scrub {
		region := p.RegionID
		if region == "" {
			region = "cn-hangzhou"
		}
		if _, err := f.SetExternal(p.Name, aliyuncli.ProcessCommand(exe, p.Name), region); err != nil {
			return fmt.Errorf("scrub %s: %w", p.Name, err)
		}
	}
	backup, err := f.Save(path, e.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "Replaced the secrets of %d profile(s) in %s with External profiles that call alirole.\n", len(scrub), path)
	fmt.Fprintf(e.Stderr, "The previous file, WITH the plaintext secrets, is %s: delete it once the new profiles work.\n%s\n", backup, writebackWarning)
	return nil
}

// importKeys maps an aliyun CLI profile to alirole profile keys.
func importKeys(p aliyuncli.Profile) []config.KeyValue {
	kv := func(k, v string) config.KeyValue { return config.KeyValue{Key: k, Value: v} }
	keys := []config.KeyValue{kv("region_id", p.RegionID)}
	role := []config.KeyValue{
		kv("ram_role_arn", p.RamRoleArn), kv("ram_session_name", p.RamSessionName),
		kv("external_id", p.ExternalID), kv("sts_region", p.StsRegion),
	}
	if p.ExpiredSeconds > 0 {
		role = append(role, kv("expired_seconds", strconv.Itoa(p.ExpiredSeconds)))
	}
	switch aliyuncli.CanonicalMode(p.Mode) {
	case "AK":
	case "RamRoleArn":
		keys = append(keys, role...)
	case "ChainableRamRoleArn":
		keys = append(append(keys, kv("source_profile", p.SourceProfile)), role...)
	case "RamRoleArnWithRoleName":
		keys = append(append(keys, kv("credential_source", config.SourceECSRAMRole), kv("ecs_ram_role_name", p.RamRoleName)), role...)
	case "EcsRamRole":
		keys = append(keys, kv("credential_source", config.SourceECSRAMRole), kv("ecs_ram_role_name", p.RamRoleName))
	case "OIDC":
		keys = append(keys, kv("credential_source", config.SourceOIDC), kv("oidc_provider_arn", p.OIDCProviderArn),
			kv("oidc_token_file", p.OIDCTokenFile), kv("ram_role_arn", p.RamRoleArn), kv("ram_session_name", p.RamSessionName))
	case "CredentialsURI":
		keys = append(keys, kv("credential_source", config.SourceCredentialsURI), kv("credentials_uri", p.CredentialsURI))
	case "External":
		keys = append(keys, kv("credential_source", config.SourceExternal), kv("process_command", p.ProcessCommand))
	case "CloudSSO":
		keys = append(keys, kv("credential_source", config.SourceCloudSSO), kv("cloud_sso_sign_in_url", p.CloudSSOSignInURL),
			kv("cloud_sso_account_id", p.CloudSSOAccountID), kv("cloud_sso_access_config", p.CloudSSOAccessConfig))
	case "OAuth":
		keys = append(keys, kv("credential_source", config.SourceOAuth), kv("oauth_site_type", strings.ToUpper(p.OAuthSiteType)))
	}
	return keys
}
