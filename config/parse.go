package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Keys, by the aliyun CLI's name where it has one.
const (
	keyRegionID         = "region_id"
	keySourceProfile    = "source_profile"
	keyRamRoleArn       = "ram_role_arn"
	keyRamSessionName   = "ram_session_name"
	keyExternalID       = "external_id"
	keyExpiredSeconds   = "expired_seconds"
	keyDuration         = "duration"
	keyStsRegion        = "sts_region"
	keyStsEndpoint      = "sts_endpoint"
	keyPolicy           = "policy"
	keyPolicyFile       = "policy_file"
	keyEnableVPC        = "enable_vpc"
	keyCredentialSource = "credential_source"
	keyECSRoleName      = "ecs_ram_role_name"
	keyOIDCProviderArn  = "oidc_provider_arn"
	keyOIDCTokenFile    = "oidc_token_file"
	keyCredentialsURI   = "credentials_uri"
	keyProcessCommand   = "process_command"
	keyCLIProfile       = "cli_profile"
	keyCLIConfigFile    = "cli_config_file"
	// keyAllowLongTermKey silences the warning exec and export give when
	// they hand out a long-term AccessKey (a profile without a role).
	keyAllowLongTermKey = "allow_long_term_key"
	// keyMinSession is exec's --min-session for this profile.
	keyMinSession = "min_session"
)

// knownKeys is read-only; it feeds "did you mean" suggestions.
var knownKeys = []string{
	keyRegionID, keySourceProfile, keyRamRoleArn, keyRamSessionName, keyExternalID,
	keyExpiredSeconds, keyDuration, keyStsRegion, keyStsEndpoint, keyPolicy, keyPolicyFile,
	keyEnableVPC, keyCredentialSource, keyECSRoleName, keyOIDCProviderArn, keyOIDCTokenFile,
	keyCredentialsURI, keyProcessCommand, keyCLIProfile, keyCLIConfigFile,
	keyCloudSSOSignInURL, keyCloudSSOAccountID, keyCloudSSOAccessConfig, keyOAuthSiteType,
	keyAllowLongTermKey, keyMinSession,
}

// sourceKinds lists valid credential_source values in the order messages
// show them.
var sourceKinds = []string{SourceECSRAMRole, SourceOIDC, SourceCredentialsURI, SourceExternal, SourceAliyunCLIProfile, SourceCloudSSO, SourceOAuth}

// keySourceKind returns the credential_source a key belongs to, or "" for
// keys valid on any profile.
func keySourceKind(key string) string {
	switch key {
	case keyECSRoleName:
		return SourceECSRAMRole
	case keyOIDCProviderArn, keyOIDCTokenFile:
		return SourceOIDC
	case keyCredentialsURI:
		return SourceCredentialsURI
	case keyProcessCommand:
		return SourceExternal
	case keyCLIProfile, keyCLIConfigFile:
		return SourceAliyunCLIProfile
	case keyCloudSSOSignInURL, keyCloudSSOAccountID, keyCloudSSOAccessConfig:
		return SourceCloudSSO
	case keyOAuthSiteType:
		return SourceOAuth
	}
	return ""
}

// requiredKeys are the keys a credential_source cannot work without.
func requiredKeys(kind string) []string {
	switch kind {
	case SourceOIDC:
		return []string{keyOIDCProviderArn, keyOIDCTokenFile, keyRamRoleArn}
	case SourceCredentialsURI:
		return []string{keyCredentialsURI}
	case SourceExternal:
		return []string{keyProcessCommand}
	case SourceAliyunCLIProfile:
		return []string{keyCLIProfile}
	case SourceCloudSSO:
		return []string{keyCloudSSOSignInURL, keyCloudSSOAccountID, keyCloudSSOAccessConfig}
	case SourceOAuth:
		return []string{keyOAuthSiteType}
	}
	return nil
}

// foreignKeyHint explains keys people bring from other tools' files.
func foreignKeyHint(key string) string {
	switch strings.ToLower(key) {
	case "access_key_id", "access_key_secret", "sts_token", "aws_access_key_id", "aws_secret_access_key",
		"aws_session_token", "accesskeyid", "accesskeysecret", "security_token":
		return "alirole never reads keys from this file; store them with \"alirole add\" and delete this line"
	case "region":
		return "did you mean region_id?"
	case "role_arn":
		return "did you mean ram_role_arn?"
	case "role_session_name":
		return "did you mean ram_session_name?"
	case "duration_seconds":
		return "did you mean duration?"
	case "mode":
		return "alirole has no mode; use credential_source or source_profile"
	}
	return ""
}

// validRoleArn matches acs:ram::<12-16 digits>:role/<1-64 of [\w.@+=,-]>.
func validRoleArn(v string) bool { return validRAMArn(v, "role", 64) }

// validOIDCProviderArn matches
// acs:ram::<12-16 digits>:oidc-provider/<1-128 of [\w.@+=,-]>.
func validOIDCProviderArn(v string) bool { return validRAMArn(v, "oidc-provider", 128) }

// validRAMArn is written out rather than a regexp because compiling the
// bounded repetitions cost every alirole run about 0.4 ms at start-up.
func validRAMArn(v, kind string, maxName int) bool {
	rest, ok := strings.CutPrefix(v, "acs:ram::")
	if !ok {
		return false
	}
	account, rest, ok := strings.Cut(rest, ":")
	if !ok || !validAccountID(account) {
		return false
	}
	name, ok := strings.CutPrefix(rest, kind+"/")
	return ok && charsetOK(name, 1, maxName, ".@+=,-")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// validAccountID: an Alibaba Cloud account id (UID) is 12-16 digits (today
// 16, as in 1234567890123456); STS answers anything else with
// InvalidParameter.RoleArn, far from the line that caused it.
func validAccountID(a string) bool { return len(a) >= 12 && len(a) <= 16 && allBytes(a, isDigit) }

// arnAccountProblem explains an ARN of the right shape whose account id is
// wrong, or returns "" (the generic message fits better then).
func arnAccountProblem(v string) string {
	rest, ok := strings.CutPrefix(v, "acs:ram::")
	if !ok {
		return ""
	}
	account, after, ok := strings.Cut(rest, ":")
	if !ok || validAccountID(account) {
		return ""
	}
	fixed := "acs:ram::1234567890123456:" + after
	if !validRoleArn(fixed) && !validOIDCProviderArn(fixed) {
		return "" // more is wrong than the account id
	}
	return fmt.Sprintf("account id %s in %s is not an Alibaba Cloud account id (12-16 digits, such as 1234567890123456; see the RAM console)",
		quoteValue(account), quoteValue(v))
}

const (
	minDuration = 900 * time.Second
	maxDuration = 43200 * time.Second
)

// Options carries what parsing needs from the outside world.
type Options struct {
	// Home expands "~/" in paths. Load and Parse use os.UserHomeDir.
	Home string
	// ReadFile reads policy_file. Load and Parse read regular files of at
	// most 64 KiB.
	ReadFile func(path string) ([]byte, error)
}

// Load reads and validates the file at path. A missing file is an empty
// configuration, not an error: a fresh install has no profiles yet.
func Load(path string) (*Config, error) {
	return LoadWithOptions(path, defaultOptions())
}

// LoadWithOptions is Load with injected dependencies.
func LoadWithOptions(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &Config{Path: path, profiles: map[string]*Profile{}}, nil
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseWithOptions(path, data, opts)
}

// Parse validates data as the content of the file at path. path names the
// file in messages and anchors relative paths inside it.
func Parse(path string, data []byte) (*Config, error) {
	return ParseWithOptions(path, data, defaultOptions())
}

func defaultOptions() Options {
	home, _ := os.UserHomeDir() // unknown home only matters if "~/" is used
	return Options{Home: home, ReadFile: readPolicyFile}
}

// ParseWithOptions is Parse with injected dependencies. It reports every
// problem it finds, joined; warnings are in the returned Config.
func ParseWithOptions(path string, data []byte, opts Options) (*Config, error) {
	if opts.ReadFile == nil {
		opts.ReadFile = readPolicyFile
	}
	sc := scan(path, data)
	b := &builder{file: path, dir: filepath.Dir(path), opts: opts, errs: sc.errs}
	cfg := &Config{Path: path, profiles: make(map[string]*Profile, len(sc.sections))}
	srcLines := make(map[string]int)
	order := make([]*Profile, 0, len(sc.sections))
	for _, sec := range sc.sections {
		p := b.profile(sec)
		cfg.profiles[p.Name] = p
		order = append(order, p)
		if kv, ok := sec.get(keySourceProfile); ok {
			srcLines[p.Name] = kv.line
		}
	}
	b.checkReferences(cfg, order, srcLines)

	cfg.names = make([]string, 0, len(cfg.profiles))
	for n := range cfg.profiles {
		cfg.names = append(cfg.names, n)
	}
	sort.Strings(cfg.names)
	sort.SliceStable(b.warns, func(i, j int) bool { return b.warns[i].Line < b.warns[j].Line })
	cfg.Warnings = b.warns
	if len(b.errs) > 0 {
		sort.SliceStable(b.errs, func(i, j int) bool { return b.errs[i].(*Error).Line < b.errs[j].(*Error).Line })
		return nil, errors.Join(b.errs...)
	}
	return cfg, nil
}

// builder turns sections into profiles, collecting errors and warnings.
type builder struct {
	file  string
	dir   string
	opts  Options
	errs  []error
	warns []Warning
}

func (b *builder) errf(line int, profile, key, format string, args ...any) {
	b.errs = append(b.errs, &Error{File: b.file, Line: line, Profile: profile, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (b *builder) warnf(line int, profile, key, format string, args ...any) {
	b.warns = append(b.warns, Warning{File: b.file, Line: line, Profile: profile, Key: key, Message: fmt.Sprintf(format, args...)})
}

// profile validates each key of one section, then the rules that span keys.
func (b *builder) profile(sec *rawSection) *Profile {
	p := &Profile{Name: sec.name, File: b.file, Line: sec.line}
	sourceValid := true
	for _, kv := range sec.keys {
		if !b.key(p, kv) && kv.key == keyCredentialSource {
			sourceValid = false
		}
	}
	b.crossChecks(sec, p, sourceValid)
	return p
}

// key validates one key of profile p and stores its value there. It reports
// false when it rejected the value (unknown keys are only warned about).
func (b *builder) key(p *Profile, kv rawKey) bool {
	k, v, line, name := kv.key, kv.value, kv.line, p.Name
	if v == "" && isKnownKey(k) {
		b.errf(line, name, k, "empty value; set one or delete the line")
		return false
	}
	switch k {
	case keyRegionID, keyStsRegion, keyStsEndpoint, keyEnableVPC, keyAllowLongTermKey, keyMinSession:
		return b.settingKey(p, line, name, k, v)
	case keySourceProfile, keyRamRoleArn, keyRamSessionName, keyExternalID, keyExpiredSeconds, keyDuration,
		keyPolicy, keyPolicyFile:
		return b.roleKey(p, line, name, k, v)
	case keyCredentialSource, keyECSRoleName, keyOIDCProviderArn, keyOIDCTokenFile, keyCredentialsURI,
		keyProcessCommand, keyCLIProfile, keyCLIConfigFile:
		return b.sourceKey(p, line, name, k, v)
	case keyCloudSSOSignInURL, keyCloudSSOAccountID, keyCloudSSOAccessConfig:
		b.cloudSSOKey(p, line, name, k, v)
	case keyOAuthSiteType:
		b.oauthKey(p, line, name, k, v)
	default:
		b.unknownKey(line, name, k)
	}
	return true
}

// settingKey handles the keys that tune where and how alirole calls STS and
// what it hands out: region_id, sts_region, sts_endpoint, enable_vpc,
// allow_long_term_key and min_session.
func (b *builder) settingKey(p *Profile, line int, profile, key, v string) bool {
	switch key {
	case keyRegionID:
		return set(&p.RegionID, v, b.checkRegion(line, profile, key, v))
	case keyStsRegion:
		return set(&p.StsRegion, v, b.checkRegion(line, profile, key, v))
	case keyStsEndpoint:
		return set(&p.StsEndpoint, v, b.accept(endpointProblem(v), line, profile, key, v))
	case keyEnableVPC:
		on, ok := parseBool(v)
		return set(&p.EnableVPC, on, b.expect(ok, line, profile, key, v, "expected true or false"))
	case keyAllowLongTermKey:
		on, ok := parseBool(v)
		return set(&p.AllowLongTermKey, on, b.expect(ok, line, profile, key, v, "expected true or false"))
	case keyMinSession:
		n, err := parseDurationSeconds(v)
		ok := err == nil && n >= 0 && n <= 12*3600
		if !b.expect(ok, line, profile, key, v, "expected a duration (30m, 1h) or seconds, 0 to 12h; 0 turns the check off") {
			return false
		}
		p.MinSession, p.MinSessionSet = time.Duration(n)*time.Second, true
		return true
	}
	return true
}

// roleKey handles source_profile and the keys of the AssumeRole call.
func (b *builder) roleKey(p *Profile, line int, profile, key, v string) bool {
	switch key {
	case keySourceProfile:
		return set(&p.SourceProfile, v, b.report(profileNameProblem(v), line, profile, key))
	case keyRamRoleArn:
		return set(&p.RamRoleArn, v, b.arn(validRoleArn(v), line, profile, key, v, "expected acs:ram::<account-id>:role/<role-name>"))
	case keyRamSessionName:
		return set(&p.RamSessionName, v, b.expect(charsetOK(v, 2, 64, ".@-"), line, profile, key, v,
			"expected 2-64 characters of letters, digits and _ . @ -"))
	case keyExternalID:
		return set(&p.ExternalID, v, b.expect(charsetOK(v, 2, 1224, "+=,.@:/-"), line, profile, key, v,
			"expected 2-1224 characters of letters, digits and _ + = , . @ : / -"))
	case keyExpiredSeconds:
		n, err := strconv.ParseInt(v, 10, 64)
		return b.duration(p, err == nil, line, profile, key, v, n, "expected a whole number of seconds")
	case keyDuration:
		n, err := parseDurationSeconds(v)
		return b.duration(p, err == nil, line, profile, key, v, n, "expected a duration such as 1h, 90m or 3600 (seconds)")
	case keyPolicy:
		return set(&p.Policy, v, b.report(policyProblem([]byte(v)), line, profile, key))
	case keyPolicyFile:
		return b.policyFile(p, line, profile, key, v)
	}
	return true
}

// sourceKey handles credential_source and the keys of the keyless sources
// other than CloudSSO and OAuth (see cloudSSOKey and oauthKey).
func (b *builder) sourceKey(p *Profile, line int, profile, key, v string) bool {
	switch key {
	case keyCredentialSource:
		if !slices.Contains(sourceKinds, v) {
			b.errf(line, profile, key, "unknown value %s; valid values are %s", quoteValue(v), strings.Join(sourceKinds, ", "))
			return false
		}
		p.CredentialSource = v
	case keyECSRoleName:
		return set(&p.ECSRoleName, v, b.expect(charsetOK(v, 1, 64, ".@+=,-"), line, profile, key, v,
			"expected a RAM role name (1-64 characters of letters, digits and _ . @ + = , -)"))
	case keyOIDCProviderArn:
		return set(&p.OIDCProviderArn, v, b.arn(validOIDCProviderArn(v), line, profile, key, v,
			"expected acs:ram::<account-id>:oidc-provider/<provider-name>"))
	case keyOIDCTokenFile:
		r, ok := b.path(line, profile, key, v)
		return set(&p.OIDCTokenFile, r, ok)
	case keyCredentialsURI:
		return set(&p.CredentialsURI, v, b.accept(uriProblem(v), line, profile, key, v))
	case keyProcessCommand:
		p.ProcessCommand = v
	case keyCLIProfile:
		p.CLIProfile = v
	case keyCLIConfigFile:
		r, ok := b.path(line, profile, key, v)
		return set(&p.CLIConfigFile, r, ok)
	}
	return true
}

// set stores v in *field if ok (the value passed its check), and returns ok.
func set[T any](field *T, v T, ok bool) bool {
	if ok {
		*field = v
	}
	return ok
}

// expect reports "<want>, got <value>", the form of most messages, unless
// ok; it returns ok.
func (b *builder) expect(ok bool, line int, profile, key, v, want string) bool {
	if !ok {
		b.errf(line, profile, key, "%s, got %s", want, quoteValue(v))
	}
	return ok
}

// accept is expect for a check that returns what is wrong, "" for nothing.
func (b *builder) accept(problem string, line int, profile, key, v string) bool {
	return b.expect(problem == "", line, profile, key, v, problem)
}

// report is accept for a problem that already names the value.
func (b *builder) report(problem string, line int, profile, key string) bool {
	if problem != "" {
		b.errf(line, profile, key, "%s", problem)
	}
	return problem == ""
}

// arn is expect for an ARN, where a wrong account id gets its own message.
func (b *builder) arn(ok bool, line int, profile, key, v, want string) bool {
	if !ok && !b.report(arnAccountProblem(v), line, profile, key) {
		return false
	}
	return b.expect(ok, line, profile, key, v, want)
}

// duration checks a parsed expired_seconds or duration (parsed says the
// value could be read, as seconds) and stores it in p.
func (b *builder) duration(p *Profile, parsed bool, line int, profile, key, v string, seconds int64, want string) bool {
	if !b.expect(parsed, line, profile, key, v, want) {
		return false
	}
	d, ok := b.checkDuration(line, profile, key, v, seconds)
	if ok {
		p.Duration = d
	}
	return ok
}

// crossChecks applies the rules that involve more than one key. They look at
// which keys are present, not at parsed values, so an invalid value is
// reported once and not again as "missing".
func (b *builder) crossChecks(sec *rawSection, p *Profile, sourceValid bool) {
	name := sec.name
	b.exclusive(sec, keyExpiredSeconds, keyDuration)
	b.exclusive(sec, keyPolicy, keyPolicyFile)

	src, hasSrc := sec.get(keySourceProfile)
	cs, hasCS := sec.get(keyCredentialSource)
	if hasSrc && hasCS {
		b.errf(cs.line, name, keyCredentialSource,
			"a profile with source_profile (line %d) gets its credentials from that profile; remove one of the two", src.line)
	}
	// Source-specific keys are only checked against a known kind, else one
	// typo in credential_source would flag every key below it.
	if sourceValid {
		for _, kv := range sec.keys {
			if kind := keySourceKind(kv.key); kind != "" && kind != p.CredentialSource {
				b.errf(kv.line, name, kv.key, "only applies to credential_source = %s", kind)
			}
		}
		if hasCS && !hasSrc {
			for _, req := range requiredKeys(p.CredentialSource) {
				if _, ok := sec.get(req); !ok {
					b.errf(cs.line, name, req, "missing; required with credential_source = %s", p.CredentialSource)
				}
			}
		}
	}
	// A profile with source_profile and no ram_role_arn is allowed: it
	// reuses the source's credentials and only overrides settings such as
	// region_id. Role options are then meaningless, which deserves a
	// warning, not an error.
	if _, ok := sec.get(keyRamRoleArn); !ok {
		for _, k := range []string{keyRamSessionName, keyExternalID, keyExpiredSeconds, keyDuration, keyPolicy, keyPolicyFile} {
			if kv, ok := sec.get(k); ok {
				b.warnf(kv.line, name, k, "has no effect without ram_role_arn")
			}
		}
	}
}

// exclusive reports a and b both set, at the later of the two lines.
func (b *builder) exclusive(sec *rawSection, a, c string) {
	ka, okA := sec.get(a)
	kc, okC := sec.get(c)
	if !okA || !okC {
		return
	}
	first, second := ka, kc
	if kc.line < ka.line {
		first, second = kc, ka
	}
	b.errf(second.line, sec.name, second.key, "set either %s or %s, not both (%s is at line %d)", a, c, first.key, first.line)
}

// checkReferences checks that every source_profile exists and that no chain
// loops. Each profile is walked at most once overall (three-colour marking),
// so the check is linear in the number of profiles and cannot hang.
func (b *builder) checkReferences(cfg *Config, order []*Profile, srcLines map[string]int) {
	names := make([]string, 0, len(order))
	for _, p := range order {
		names = append(names, p.Name)
	}
	for _, p := range order {
		if p.SourceProfile == "" {
			continue
		}
		if _, ok := cfg.profiles[p.SourceProfile]; !ok {
			msg := fmt.Sprintf("profile %q is not defined in this file", p.SourceProfile)
			if s := suggest(p.SourceProfile, names, 3); len(s) > 0 {
				msg += " (did you mean " + quoteList(s) + "?)"
			}
			b.errf(srcLines[p.Name], p.Name, keySourceProfile, "%s", msg)
		}
	}

	const (
		unvisited = iota
		onPath
		done
	)
	state := make(map[string]int, len(order))
	for _, start := range order {
		if state[start.Name] != unvisited {
			continue
		}
		var path []string
		pos := make(map[string]int)
		for cur := start; cur != nil; cur = cfg.profiles[cur.SourceProfile] {
			if st := state[cur.Name]; st == done {
				break
			} else if st == onPath {
				b.reportCycle(cfg, append(path[pos[cur.Name]:len(path):len(path)], cur.Name), srcLines)
				break
			}
			state[cur.Name] = onPath
			pos[cur.Name] = len(path)
			path = append(path, cur.Name)
			if cur.SourceProfile == "" {
				break
			}
		}
		for _, n := range path {
			state[n] = done
		}
	}
}

// reportCycle names the loop starting from the member defined first in the
// file, so the message is the same whichever profile the walk began at.
func (b *builder) reportCycle(cfg *Config, cycle []string, srcLines map[string]int) {
	members := cycle[:len(cycle)-1]
	first := 0
	for i, n := range members {
		if cfg.profiles[n].Line < cfg.profiles[members[first]].Line {
			first = i
		}
	}
	rotated := append(append([]string{}, members[first:]...), members[:first]...)
	rotated = append(rotated, rotated[0])
	head := rotated[0]
	b.errf(srcLines[head], head, keySourceProfile, "cycle: %s", strings.Join(rotated, " -> "))
}

func (b *builder) unknownKey(line int, profile, key string) {
	if hint := foreignKeyHint(key); hint != "" {
		b.warnf(line, profile, key, "unknown key; %s", hint)
		return
	}
	if s := suggest(key, knownKeys, 1); len(s) > 0 {
		b.warnf(line, profile, key, "unknown key; did you mean %s?", s[0])
		return
	}
	b.warnf(line, profile, key, "unknown key; ignored")
}

func (b *builder) checkRegion(line int, profile, key, v string) bool {
	if len(v) > 64 || !allBytes(v, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' }) {
		b.errf(line, profile, key, "expected a region id such as cn-hangzhou (lower-case letters, digits and -), got %s", quoteValue(v))
		return false
	}
	return true
}

func (b *builder) checkDuration(line int, profile, key, raw string, seconds int64) (time.Duration, bool) {
	if seconds < int64(minDuration/time.Second) || seconds > int64(maxDuration/time.Second) {
		b.errf(line, profile, key, "must be between 900 and 43200 seconds (15m to 12h), got %s", quoteValue(raw))
		return 0, false
	}
	return time.Duration(seconds) * time.Second, true
}

// path resolves a path-valued key (see resolvePath).
func (b *builder) path(line int, profile, key, v string) (string, bool) {
	r, err := resolvePath(v, b.dir, b.opts.Home)
	if err != nil {
		b.errf(line, profile, key, "%v, got %s", err, quoteValue(v))
		return "", false
	}
	return r, true
}

// policyFile reads the policy now, so a bad file shows up with its line
// number instead of as an STS error later.
func (b *builder) policyFile(p *Profile, line int, profile, key, v string) bool {
	path, ok := b.path(line, profile, key, v)
	if !ok {
		return false
	}
	data, err := b.opts.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		b.errf(line, profile, key, "cannot read %s: %v", path, err)
		return false
	}
	if msg := policyProblem(data); msg != "" {
		b.errf(line, profile, key, "%s: %s", path, msg)
		return false
	}
	p.Policy = strings.TrimSpace(string(data))
	p.PolicyFile = path
	return true
}

// parseDurationSeconds accepts a Go duration ("1h", "90m") or plain seconds,
// in whole seconds because STS takes an integer.
func parseDurationSeconds(v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d%time.Second != 0 {
		return 0, errors.New("not a whole number of seconds")
	}
	return int64(d / time.Second), nil
}

func policyProblem(data []byte) string {
	if !json.Valid(data) {
		return "policy is not valid JSON"
	}
	if t := strings.TrimSpace(string(data)); !strings.HasPrefix(t, "{") {
		return "policy must be a JSON object"
	}
	return ""
}

// endpointProblem checks that v is a bare host or host:port: the scheme is
// always https and there is no path in STS endpoints.
func endpointProblem(v string) string {
	const want = "expected a host or host:port such as sts-vpc.cn-hangzhou.aliyuncs.com"
	if strings.Contains(v, "://") {
		return want + " without a scheme"
	}
	if strings.ContainsAny(v, "/?#@ \t") {
		return want + " without a path"
	}
	host, port := v, ""
	if strings.HasPrefix(v, "[") {
		h, pt, err := net.SplitHostPort(v)
		if err != nil || net.ParseIP(h) == nil {
			return want
		}
		host, port = "", pt
	} else if i := strings.LastIndexByte(v, ':'); i >= 0 {
		host, port = v[:i], v[i+1:]
		if port == "" {
			return want
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return want + " (bad port)"
		}
	}
	if host != "" || !strings.HasPrefix(v, "[") {
		if len(host) > 253 {
			return want
		}
		for _, label := range strings.Split(host, ".") {
			if label == "" || len(label) > 63 || !allBytes(label, func(c byte) bool {
				return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
			}) {
				return want
			}
		}
	}
	return ""
}

func uriProblem(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "expected an http:// or https:// URL"
	}
	return ""
}

// parseBool accepts the spellings people use in INI files.
func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off":
		return false, true
	}
	return false, false
}

// charsetOK reports whether v has min..max bytes, each a \w byte or in extra.
func charsetOK(v string, minLen, maxLen int, extra string) bool {
	if len(v) < minLen || len(v) > maxLen {
		return false
	}
	return allBytes(v, func(c byte) bool { return isWordByte(c) || strings.IndexByte(extra, c) >= 0 })
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isKnownKey(k string) bool { return slices.Contains(knownKeys, k) }
