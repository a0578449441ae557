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
	f, unlock, err := lockAndLoadCLIConfig(c.Context, path)
	if err != nil {
		return err
	}
	defer unlock()
	selected, err := selectCLIProfiles(f, path, c.Args().Slice())
	if err != nil {
		return err
	}
	r := &importRun{Env: e, c: c, cfg: cfg, f: f, path: path, why: map[string]string{}}
	var pending []aliyuncli.Profile
	for _, p := range selected {
		if ok, err := r.triage(p); err != nil {
			return err
		} else if ok {
			pending = append(pending, p)
		}
	}
	if err := r.importAll(pending); err != nil {
		return err
	}
	return r.finish(selected)
}

// selectCLIProfiles returns the profiles of f named in args, in file order,
// or all of them when args is empty.
func selectCLIProfiles(f *aliyuncli.File, path string, args []string) ([]aliyuncli.Profile, error) {
	want := map[string]bool{}
	for _, n := range args {
		if _, ok := f.Profile(n); !ok {
			return nil, fmt.Errorf("no profile %q in %s", n, path)
		}
		want[n] = true
	}
	var selected []aliyuncli.Profile
	for _, p := range f.Profiles() {
		if len(want) == 0 || want[p.Name] {
			selected = append(selected, p)
		}
	}
	return selected, nil
}

// importRun is one run of import: the files it reads and writes, the
// keychain (opened the first time a key is read or stored) and what it has
// decided so far.
type importRun struct {
	Env
	c     *cli.Context
	cfg   *config.Config
	f     *aliyuncli.File
	path  string
	store *keychain.Store
	// why records, per CLI profile, why its secrets stay in config.json.
	why map[string]string
	// scrub lists the profiles whose secrets --scrub may replace.
	scrub []aliyuncli.Profile
}

// keychainStore opens the keychain the first time it is needed.
func (r *importRun) keychainStore() (*keychain.Store, error) {
	if r.store == nil {
		s, err := r.openStore(r.c)
		if err != nil {
			return nil, err
		}
		r.store = s
	}
	return r.store, nil
}

// skip says, and records for the --scrub report, why p is not imported.
func (r *importRun) skip(p aliyuncli.Profile, reason string) {
	fmt.Fprintf(r.Stderr, "skip %s: %s\n", p.Name, reason)
	r.why[p.Name] = reason
}

// triage reports whether p is to be imported; a profile alirole already
// has may still be marked for scrubbing (see reimported).
func (r *importRun) triage(p aliyuncli.Profile) (bool, error) {
	if have, err := r.cfg.Profile(p.Name); err == nil {
		if r.c.Bool("scrub") && isSignInMode(p) {
			return false, r.rescrubSignIn(have, p)
		}
		return false, r.reimported(p)
	}
	if kind, reason := aliyuncli.Classify(p); kind == aliyuncli.ImportSkip {
		r.skip(p, reason)
		return false, nil
	}
	return true, nil
}

// reimported handles a profile alirole already has. A re-run is import's
// own advice ("run again with --scrub"): the profile was imported before;
// scrub it when alirole holds the very key config.json does.
func (r *importRun) reimported(p aliyuncli.Profile) error {
	if !r.c.Bool("scrub") || p.AccessKeyID == "" || p.AccessKeySecret == "" {
		r.skip(p, "alirole already has a profile of that name")
		return nil
	}
	st, err := r.keychainStore()
	if err != nil {
		return err
	}
	ak, err := st.AccessKey(p.Name)
	switch {
	case errors.Is(err, keychain.ErrNotFound):
		r.skip(p, "alirole has a profile of that name but no stored AccessKey for it; store one with 'alirole add "+p.Name+"' first")
	case err != nil:
		return fmt.Errorf("read stored AccessKey of %s: %w", p.Name, err)
	case ak.ID != p.AccessKeyID || ak.Secret != p.AccessKeySecret:
		r.skip(p, "alirole's stored AccessKey for "+p.Name+" is not the one in config.json")
	default:
		fmt.Fprintf(r.Stderr, "%s: already imported, stored AccessKey matches\n", p.Name)
		r.scrub = append(r.scrub, p)
	}
	return nil
}

// rescrubSignIn marks a CloudSSO or OAuth profile an earlier import wrote
// for scrubbing, once the keychain holds its token (see Env.rescrubSignIn).
func (r *importRun) rescrubSignIn(have *config.Profile, p aliyuncli.Profile) error {
	reason, err := r.Env.rescrubSignIn(r.c, &r.store, have, p)
	switch {
	case err != nil:
		return err
	case reason != "":
		r.skip(p, reason)
	default:
		r.scrub = append(r.scrub, p)
	}
	return nil
}

// importAll imports the pending profiles. Chained roles need their source
// profile first: it retries until no progress, so the order in config.json
// does not matter, and then reports the profiles left.
func (r *importRun) importAll(pending []aliyuncli.Profile) error {
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var left []aliyuncli.Profile
		for _, p := range pending {
			keys, dropped := importKeys(p, r.f.Fields(p.Name))
			// The section is written first (and validated by AppendProfile),
			// so no key is stored for a profile alirole could not use.
			if _, err := config.AppendProfile(r.cfg.Path, p.Name, keys); err != nil {
				left = append(left, p)
				continue
			}
			if err := r.storeSecrets(p); err != nil {
				return err
			}
			fmt.Fprintf(r.Stderr, "imported %s (%s)\n", p.Name, p.Mode)
			for _, d := range dropped {
				fmt.Fprintf(r.Stderr, "  not carried over: %s (%s)\n", d.Key, d.Value)
			}
			progress = true
		}
		pending = left
	}
	for _, p := range pending {
		keys, _ := importKeys(p, r.f.Fields(p.Name))
		_, err := config.AppendProfile(r.cfg.Path, p.Name, keys)
		fmt.Fprintf(r.Stderr, "skip %s: %v\n", p.Name, err)
		r.why[p.Name] = fmt.Sprintf("not imported: %v", err)
	}
	return nil
}

// storeSecrets moves the tokens and the AccessKey of an imported profile
// into the keychain and marks the profile for scrubbing if it held any.
func (r *importRun) storeSecrets(p aliyuncli.Profile) error {
	if moved, err := r.importTokens(r.c, &r.store, p); err != nil {
		return err
	} else if moved {
		r.scrub = append(r.scrub, p)
	} else if isSignInMode(p) && hasPlainCredentials(p) {
		r.scrub = append(r.scrub, p) // cached STS credentials only
	}
	if p.AccessKeyID != "" && p.AccessKeySecret != "" && !isSignInMode(p) {
		st, err := r.keychainStore()
		if err != nil {
			return err
		}
		if err := st.SetAccessKey(p.Name, keychain.AccessKey{ID: p.AccessKeyID, Secret: p.AccessKeySecret}); err != nil {
			return fmt.Errorf("store AccessKey of %s: %w", p.Name, err)
		}
		r.scrub = append(r.scrub, p)
	}
	return nil
}

// finish scrubs config.json if asked to, or says that it still holds the
// secrets, and with --scrub reports what could not be removed.
func (r *importRun) finish(selected []aliyuncli.Profile) error {
	if !r.c.Bool("scrub") || len(r.scrub) == 0 {
		if len(r.scrub) > 0 {
			fmt.Fprintf(r.Stderr, "%s still holds the plaintext secrets; run again with --scrub to replace them, or 'alirole setup-cli PROFILE'.\n", r.path)
		}
		if r.c.Bool("scrub") {
			return r.reportRemaining(r.f, r.path, selected, r.why)
		}
		return nil
	}
	if err := r.scrubSecrets(); err != nil {
		return err
	}
	return r.reportRemaining(r.f, r.path, selected, r.why)
}

// scrubSecrets rewrites the profiles marked for scrubbing as External
// profiles that call alirole, and saves config.json.
func (r *importRun) scrubSecrets() error {
	exe, err := r.Executable()
	if err != nil {
		return fmt.Errorf("find the alirole binary: %w", err)
	}
	global, err := r.exportOptions(r.c)
	if err != nil {
		return err
	}
	for _, p := range r.scrub {
		region := p.RegionID
		if region == "" {
			region = "cn-hangzhou"
		}
		if _, err := r.f.SetExternal(p.Name, aliyuncli.ProcessCommandWith(exe, global, p.Name), region); err != nil {
			return fmt.Errorf("scrub %s: %w", p.Name, err)
		}
	}
	backup, err := r.f.Save(r.path)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.Stderr, "Replaced the secrets of %d profile(s) in %s with External profiles that call alirole.\n", len(r.scrub), r.path)
	fmt.Fprintf(r.Stderr, "Your original file (as it was before alirole first changed it), WITH its plaintext secrets, is kept in %s: delete it once the new profiles work.\n%s\n", backup, writebackWarning)
	return nil
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
	m := &cliKeyMap{used: map[string]bool{"name": true, "mode": true}}
	m.add("region_id", "region_id", p.RegionID)
	mode := aliyuncli.CanonicalMode(p.Mode)
	m.mode(mode, p)
	return m.keys, m.dropped(mode, present)
}

// cliKeyMap collects the alirole keys of one CLI profile and the CLI
// fields they account for.
type cliKeyMap struct {
	keys []config.KeyValue
	used map[string]bool
}

// set adds an alirole key that no CLI field maps to one to one.
func (m *cliKeyMap) set(key, v string) {
	m.keys = append(m.keys, config.KeyValue{Key: key, Value: v})
}

// add carries the CLI field cliKey over as key, if it is set.
func (m *cliKeyMap) add(cliKey, key, v string) {
	m.consume(cliKey)
	if v != "" {
		m.set(key, v)
	}
}

// consume marks CLI fields as accounted for without carrying them over.
func (m *cliKeyMap) consume(cliKeys ...string) {
	for _, k := range cliKeys {
		m.used[k] = true
	}
}

// source sets credential_source, then carries each pair of CLI field and
// its value over under the same name.
func (m *cliKeyMap) source(kind string, fieldValues ...string) {
	m.set("credential_source", kind)
	for i := 0; i+1 < len(fieldValues); i += 2 {
		m.add(fieldValues[i], fieldValues[i], fieldValues[i+1])
	}
}

// mode maps the fields of the CLI's mode.
func (m *cliKeyMap) mode(mode string, p aliyuncli.Profile) {
	switch mode {
	case "AK":
		m.consume("access_key_id", "access_key_secret")
	case "RamRoleArn":
		m.consume("access_key_id", "access_key_secret")
		m.role(p)
	case "ChainableRamRoleArn":
		m.add("source_profile", "source_profile", p.SourceProfile)
		m.role(p)
	case "RamRoleArnWithRoleName":
		m.set("credential_source", config.SourceECSRAMRole)
		m.add("ram_role_name", "ecs_ram_role_name", p.RamRoleName)
		m.role(p)
	case "EcsRamRole":
		m.set("credential_source", config.SourceECSRAMRole)
		m.add("ram_role_name", "ecs_ram_role_name", p.RamRoleName)
	case "OIDC":
		m.source(config.SourceOIDC, "oidc_provider_arn", p.OIDCProviderArn, "oidc_token_file", p.OIDCTokenFile)
		m.role(p)
	case "CredentialsURI":
		m.source(config.SourceCredentialsURI, "credentials_uri", p.CredentialsURI)
	case "External":
		m.source(config.SourceExternal, "process_command", p.ProcessCommand)
	case "CloudSSO":
		// The access token (and the cached STS keys) are not profile keys:
		// importTokens moves the token into the keychain.
		m.consume("access_key_id", "access_key_secret", "sts_token", "access_token", "cloud_sso_access_token_expire")
		m.source(config.SourceCloudSSO, "cloud_sso_sign_in_url", p.CloudSSOSignInURL,
			"cloud_sso_account_id", p.CloudSSOAccountID, "cloud_sso_access_config", p.CloudSSOAccessConfig)
	case "OAuth":
		m.consume("access_key_id", "access_key_secret", "sts_token",
			"oauth_access_token", "oauth_refresh_token", "oauth_access_token_expire", "oauth_refresh_token_expire")
		m.source(config.SourceOAuth, "oauth_site_type", strings.ToUpper(p.OAuthSiteType))
	}
}

// role maps the role settings, as the CLI's GetCallerIdentity paths and
// credentials-go's CLI-profile provider read them (RamRoleArn,
// ChainableRamRoleArn, RamRoleArnWithRoleName, OIDC).
func (m *cliKeyMap) role(p aliyuncli.Profile) {
	m.add("ram_role_arn", "ram_role_arn", p.RamRoleArn)
	m.add("ram_session_name", "ram_session_name", p.RamSessionName)
	m.add("external_id", "external_id", p.ExternalID)
	m.add("sts_region", "sts_region", p.StsRegion)
	m.add("sts_endpoint", "sts_endpoint", p.StsEndpoint)
	m.add("policy", "policy", p.Policy)
	m.consume("enable_vpc", "expired_seconds")
	if p.EnableVpc {
		m.set("enable_vpc", "true")
	}
	if p.ExpiredSeconds > 0 {
		m.set("expired_seconds", strconv.Itoa(p.ExpiredSeconds))
	}
}

// dropped lists the fields set in the file (present) that were not
// accounted for, each with the reason (as Key and Value).
func (m *cliKeyMap) dropped(mode string, present []string) []config.KeyValue {
	var dropped []config.KeyValue
	for _, k := range present {
		if m.used[k] {
			continue
		}
		reason, ok := fieldNotCarried[k]
		if !ok {
			reason = "not used in mode " + mode
			if !knownCLIField(k) {
				reason = "unknown field"
			}
		}
		dropped = append(dropped, config.KeyValue{Key: k, Value: reason})
	}
	return dropped
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
