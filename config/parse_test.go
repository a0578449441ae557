package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const arn = "acs:ram::1234567890123456:role/admin"

func TestParseAllFields(t *testing.T) {
	src := `# comment
; other comment
[default]
region_id = cn-hangzhou

[profile ops]   # trailing comment
source_profile=default
ram_role_arn   =   acs:ram::1234567890123456:role/ops.Admin@x
ram_session_name = me@corp.example
external_id = abc:/=+,.@-_
expired_seconds = 7200
sts_region = cn-shanghai
sts_endpoint = sts-vpc.cn-shanghai.aliyuncs.com:443
policy = {"Version":"1","Statement":[]}
enable_vpc = yes

[profile ecs]
credential_source = ecs_ram_role
ecs_ram_role_name = worker-role

[profile k8s]
credential_source = oidc
oidc_provider_arn = acs:ram::1234567890123456:oidc-provider/ack-rrsa
oidc_token_file = tokens/token
ram_role_arn = acs:ram::1234567890123456:role/pod

[profile uri]
credential_source = credentials_uri
credentials_uri = http://127.0.0.1:8080/creds

[profile ext]
credential_source = external
process_command = /usr/bin/get-creds --json

[profile cli]
credential_source = aliyun_cli_profile
cli_profile = legacy
cli_config_file = ~/.aliyun/config.json
`
	src = strings.ReplaceAll(src, "\n", "\r\n") // CRLF files must work too
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	if got, want := strings.Join(cfg.Names(), ","), "cli,default,ecs,ext,k8s,ops,uri"; got != want {
		t.Errorf("names %s, want %s", got, want)
	}
	ops, _ := cfg.Profile("ops")
	want := Profile{
		Name: "ops", File: testPath, Line: 6, SourceProfile: "default",
		RamRoleArn: "acs:ram::1234567890123456:role/ops.Admin@x", RamSessionName: "me@corp.example",
		ExternalID: "abc:/=+,.@-_", Duration: 2 * time.Hour, StsRegion: "cn-shanghai",
		StsEndpoint: "sts-vpc.cn-shanghai.aliyuncs.com:443", Policy: `{"Version":"1","Statement":[]}`, EnableVPC: true,
	}
	if *ops != want {
		t.Errorf("ops = %+v\nwant %+v", *ops, want)
	}
	if !ops.AssumesRole() || ops.IsRoot() {
		t.Error("ops should be a role hop")
	}
	def, _ := cfg.Profile("default")
	if !def.UsesKeychainAK() || def.Line != 3 || def.RegionID != "cn-hangzhou" {
		t.Errorf("default = %+v", *def)
	}
	k8s, _ := cfg.Profile("k8s")
	if k8s.CredentialSource != SourceOIDC || k8s.OIDCTokenFile != "/etc/alirole/tokens/token" ||
		k8s.OIDCProviderArn != "acs:ram::1234567890123456:oidc-provider/ack-rrsa" || k8s.AssumesRole() {
		t.Errorf("k8s = %+v", *k8s)
	}
	ecs, _ := cfg.Profile("ecs")
	if ecs.ECSRoleName != "worker-role" || ecs.CredentialSource != SourceECSRAMRole {
		t.Errorf("ecs = %+v", *ecs)
	}
	uri, _ := cfg.Profile("uri")
	if uri.CredentialsURI != "http://127.0.0.1:8080/creds" {
		t.Errorf("uri = %+v", *uri)
	}
	ext, _ := cfg.Profile("ext")
	if ext.ProcessCommand != "/usr/bin/get-creds --json" {
		t.Errorf("ext = %+v", *ext)
	}
	cli, _ := cfg.Profile("cli")
	if cli.CLIProfile != "legacy" || cli.CLIConfigFile != "/home/u/.aliyun/config.json" {
		t.Errorf("cli = %+v", *cli)
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		line    int
		profile string
		key     string
		msg     string // substring of the message
	}{
		{"unknown section", "[prod]\nregion_id = x\n", 1, "", "", "unknown section [prod]; use [profile prod]"},
		{"unknown section bad name", "[a b c]\n", 1, "", "", "use [profile NAME]"},
		{"profile without name", "\n[profile]\n", 2, "", "", "use [profile NAME]"},
		{"profile name chars", "[profile a/b]\n", 1, "", "", "may only contain"},
		{"profile name blanks", "[profile a b]\n", 1, "", "", "must not contain blanks"},
		{"profile name too long", "[profile " + strings.Repeat("a", 65) + "]\n", 1, "", "", "longer than 64"},
		{"missing bracket", "[profile a\n", 1, "", "", "missing the closing ']'"},
		{"text after header", "[profile a] x\n", 1, "", "", "after section header"},
		{"default twice forms", "[default]\n\n[profile default]\n", 3, "default", "", "[default] at line 1 and [profile default] both define"},
		{"duplicate section", "[profile a]\n[profile b]\n[profile a]\n", 3, "a", "", "defined twice (first at line 1)"},
		{"duplicate key", "[profile a]\nregion_id = cn-a\nregion_id = cn-b\n", 3, "a", "region_id", "set twice in this profile (first at line 2)"},
		{"key outside section", "region_id = cn-a\n[profile a]\n", 1, "", "region_id", "outside of any section"},
		{"not key value", "[profile a]\nregion_id cn-a\n", 2, "a", "", `expected "key = value"`},
		{"empty key", "[profile a]\n= x\n", 2, "a", "", "missing key name"},
		{"empty value", "[profile a]\nregion_id =\n", 2, "a", "region_id", "empty value"},
		{"min_session not a duration", "[profile a]\nmin_session = soon\n", 2, "a", "min_session", `expected a duration (30m, 1h) or seconds, 0 to 12h; 0 turns the check off, got "soon"`},
		{"min_session too long", "[profile a]\nmin_session = 13h\n", 2, "a", "min_session", "0 to 12h"},
		{"role arn shape", "[profile a]\nram_role_arn = arn:aws:iam::1:role/x\n", 2, "a", "ram_role_arn", `expected acs:ram::<account-id>:role/<role-name>, got "arn:aws:iam::1:role/x"`},
		{"role arn short account", "[profile a]\nram_role_arn = acs:ram::1234:role/x\n", 2, "a", "ram_role_arn", `account id "1234" in "acs:ram::1234:role/x" is not an Alibaba Cloud account id (12-16 digits`},
		{"role arn 5-digit account", "[profile a]\n\nram_role_arn = acs:ram::12345:role/admin\n", 3, "a", "ram_role_arn", `account id "12345"`},
		{"role arn 17-digit account", "[profile a]\nram_role_arn = acs:ram::12345678901234567:role/admin\n", 2, "a", "ram_role_arn", "12-16 digits"},
		{"oidc provider short account", "[profile a]\ncredential_source = oidc\noidc_provider_arn = acs:ram::99:oidc-provider/p\noidc_token_file = t\nram_role_arn = acs:ram::123456789012:role/r\n", 3, "a", "oidc_provider_arn", `account id "99"`},
		{"role arn long name", "[profile a]\nram_role_arn = acs:ram::123456789012:role/" + strings.Repeat("r", 65) + "\n", 2, "a", "ram_role_arn", "expected acs:ram::"},
		{"role arn bad char", "[profile a]\nram_role_arn = acs:ram::123456789012:role/a b\n", 2, "a", "ram_role_arn", "expected acs:ram::"},
		{"oidc provider shape", "[profile a]\ncredential_source = oidc\noidc_provider_arn = acs:ram::123456789012:role/x\noidc_token_file = /t\nram_role_arn = " + arn + "\n", 3, "a", "oidc_provider_arn", "expected acs:ram::<account-id>:oidc-provider/<provider-name>"},
		{"session name short", "[profile a]\nram_role_arn = " + arn + "\nram_session_name = x\n", 3, "a", "ram_session_name", "2-64 characters"},
		{"session name long", "[profile a]\nram_role_arn = " + arn + "\nram_session_name = " + strings.Repeat("s", 65) + "\n", 3, "a", "ram_session_name", "2-64 characters"},
		{"session name char", "[profile a]\nram_role_arn = " + arn + "\nram_session_name = a:b\n", 3, "a", "ram_session_name", `got "a:b"`},
		{"duration low", "[profile a]\nram_role_arn = " + arn + "\nduration = 899\n", 3, "a", "duration", "between 900 and 43200"},
		{"duration high", "[profile a]\nram_role_arn = " + arn + "\nduration = 12h1s\n", 3, "a", "duration", "between 900 and 43200"},
		{"duration junk", "[profile a]\nram_role_arn = " + arn + "\nduration = soon\n", 3, "a", "duration", "such as 1h"},
		{"duration fraction", "[profile a]\nram_role_arn = " + arn + "\nduration = 1000.5s\n", 3, "a", "duration", "such as 1h"},
		{"expired seconds not int", "[profile a]\nram_role_arn = " + arn + "\nexpired_seconds = 1h\n", 3, "a", "expired_seconds", "whole number of seconds"},
		{"expired seconds low", "[profile a]\nram_role_arn = " + arn + "\nexpired_seconds = 60\n", 3, "a", "expired_seconds", "between 900 and 43200"},
		{"duration and expired", "[profile a]\nram_role_arn = " + arn + "\nexpired_seconds = 900\nduration = 1h\n", 4, "a", "duration", "set either expired_seconds or duration, not both (expired_seconds is at line 3)"},
		{"external id char", "[profile a]\nram_role_arn = " + arn + "\nexternal_id = a b\n", 3, "a", "external_id", "2-1224 characters"},
		{"external id short", "[profile a]\nram_role_arn = " + arn + "\nexternal_id = x\n", 3, "a", "external_id", "2-1224 characters"},
		{"external id long", "[profile a]\nram_role_arn = " + arn + "\nexternal_id = " + strings.Repeat("e", 1225) + "\n", 3, "a", "external_id", "2-1224 characters"},
		{"region upper", "[profile a]\nregion_id = CN-Hangzhou\n", 2, "a", "region_id", "region id such as cn-hangzhou"},
		{"sts region", "[profile a]\nsts_region = cn_hangzhou\n", 2, "a", "sts_region", "region id"},
		{"sts endpoint scheme", "[profile a]\nsts_endpoint = https://sts.aliyuncs.com\n", 2, "a", "sts_endpoint", "without a scheme"},
		{"sts endpoint path", "[profile a]\nsts_endpoint = sts.aliyuncs.com/x\n", 2, "a", "sts_endpoint", "without a path"},
		{"sts endpoint port", "[profile a]\nsts_endpoint = sts.aliyuncs.com:99999\n", 2, "a", "sts_endpoint", "bad port"},
		{"sts endpoint label", "[profile a]\nsts_endpoint = sts..aliyuncs.com\n", 2, "a", "sts_endpoint", "host or host:port"},
		{"policy json", "[profile a]\nram_role_arn = " + arn + "\npolicy = {\"Version\":\n", 3, "a", "policy", "not valid JSON"},
		{"policy object", "[profile a]\nram_role_arn = " + arn + "\npolicy = [1]\n", 3, "a", "policy", "JSON object"},
		{"policy and file", "[profile a]\nram_role_arn = " + arn + "\npolicy_file = p.json\npolicy = {}\n", 4, "a", "policy", "set either policy or policy_file, not both (policy_file is at line 3)"},
		{"policy file missing", "[profile a]\nram_role_arn = " + arn + "\npolicy_file = nope.json\n", 3, "a", "policy_file", "cannot read /etc/alirole/nope.json: file does not exist"},
		{"policy file invalid", "[profile a]\nram_role_arn = " + arn + "\npolicy_file = bad.json\n", 3, "a", "policy_file", "/etc/alirole/bad.json: policy is not valid JSON"},
		{"tilde user", "[profile a]\nram_role_arn = " + arn + "\npolicy_file = ~bob/p.json\n", 3, "a", "policy_file", "~user paths are not supported"},
		{"enable vpc", "[profile a]\nenable_vpc = maybe\n", 2, "a", "enable_vpc", "expected true or false"},
		{"unknown source", "[profile a]\ncredential_source = env\noidc_token_file = /t\n", 2, "a", "credential_source", `unknown value "env"; valid values are ecs_ram_role, oidc, credentials_uri, external, aliyun_cli_profile, cloudsso, oauth`},
		{"source and credential source", "[profile b]\n[profile a]\nsource_profile = b\ncredential_source = ecs_ram_role\n", 4, "a", "credential_source", "source_profile (line 3)"},
		{"source profile missing", "[profile prod]\n[profile a]\nsource_profile = prd\n", 3, "a", "source_profile", `profile "prd" is not defined in this file (did you mean "prod"?)`},
		{"source profile bad name", "[profile a]\nsource_profile = a b\n", 2, "a", "source_profile", "may only contain"},
		{"foreign key oidc", "[profile a]\ncredential_source = external\nprocess_command = x\noidc_token_file = /t\n", 4, "a", "oidc_token_file", "only applies to credential_source = oidc"},
		{"foreign key on keychain", "[profile a]\necs_ram_role_name = r\n", 2, "a", "ecs_ram_role_name", "only applies to credential_source = ecs_ram_role"},
		{"foreign key with source", "[profile b]\n[profile a]\nsource_profile = b\ncli_profile = x\n", 4, "a", "cli_profile", "only applies to credential_source = aliyun_cli_profile"},
		{"oidc missing token", "[profile a]\n\ncredential_source = oidc\noidc_provider_arn = acs:ram::123456789012:oidc-provider/p\nram_role_arn = " + arn + "\n", 3, "a", "oidc_token_file", "missing; required with credential_source = oidc"},
		{"oidc missing role", "[profile a]\ncredential_source = oidc\noidc_provider_arn = acs:ram::123456789012:oidc-provider/p\noidc_token_file = t\n", 2, "a", "ram_role_arn", "missing; required with credential_source = oidc"},
		{"uri missing", "[profile a]\ncredential_source = credentials_uri\n", 2, "a", "credentials_uri", "missing"},
		{"uri scheme", "[profile a]\ncredential_source = credentials_uri\ncredentials_uri = ftp://h/x\n", 3, "a", "credentials_uri", "http:// or https:// URL"},
		{"external missing", "[profile a]\ncredential_source = external\n", 2, "a", "process_command", "required with credential_source = external"},
		{"cli missing", "[profile a]\ncredential_source = aliyun_cli_profile\ncli_config_file = x\n", 2, "a", "cli_profile", "required with credential_source = aliyun_cli_profile"},
		{"ecs role name", "[profile a]\ncredential_source = ecs_ram_role\necs_ram_role_name = a b\n", 3, "a", "ecs_ram_role_name", "RAM role name"},
		{"long value capped", "[profile a]\nregion_id = " + strings.Repeat("X", 500) + "\n", 2, "a", "region_id", `XXX..."`},
	}
	files := map[string]string{"/etc/alirole/bad.json": "{nope", "/etc/alirole/p.json": "{}"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseString(t, tt.src, files)
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			if cfg != nil {
				t.Error("config returned along with errors")
			}
			errs := configErrors(t, err)
			if len(errs) != 1 {
				t.Fatalf("want exactly one error, got %d:\n%v", len(errs), err)
			}
			e := errs[0]
			if e.File != testPath || e.Line != tt.line || e.Profile != tt.profile || e.Key != tt.key {
				t.Errorf("location = %s:%d profile %q key %q, want line %d profile %q key %q",
					e.File, e.Line, e.Profile, e.Key, tt.line, tt.profile, tt.key)
			}
			if !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", e.Msg, tt.msg)
			}
			if len(e.Msg) > 400 {
				t.Errorf("message not capped: %d bytes", len(e.Msg))
			}
			// The rendered form carries the location in the documented shape.
			prefix := testPath + ":" + itoa(tt.line) + ":"
			if tt.profile != "" {
				prefix += ` profile "` + tt.profile + `":`
			}
			if tt.key != "" {
				prefix += " " + tt.key + ":"
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if m := err.Error(); m != strings.ToLower(m[:1])+m[1:] || strings.HasSuffix(m, ".") {
				t.Errorf("style: %q", m)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "~/.config/alirole/config", Line: 12, Profile: "prod", Key: "ram_role_arn", Msg: "expected x"}
	if got, want := e.Error(), `~/.config/alirole/config:12: profile "prod": ram_role_arn: expected x`; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	w := Warning{File: "f", Line: 3, Key: "k", Message: "m"}
	if got := w.String(); got != "f:3: k: m" {
		t.Errorf("warning %q", got)
	}
}

func TestAllErrorsCollectedInLineOrder(t *testing.T) {
	src := "[profile a]\nsource_profile = zzz\nregion_id = BAD\n[other]\n[profile b]\nduration = 1\n"
	_, err := parseString(t, src, nil)
	errs := configErrors(t, err)
	var lines []int
	for _, e := range errs {
		lines = append(lines, e.Line)
	}
	if got := fmt.Sprint(lines); got != "[2 3 4 6]" {
		t.Errorf("error lines %s, want [2 3 4 6]; errors:\n%v", got, err)
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		key, msg  string
	}{
		{"typo", "[profile a]\nregoin_id = cn-a\n", 2, "regoin_id", "unknown key; did you mean region_id?"},
		{"case", "[profile a]\nRegion_ID = cn-a\n", 2, "Region_ID", "did you mean region_id?"},
		{"transposition", "[profile a]\nram_role_anr = x\n", 2, "ram_role_anr", "did you mean ram_role_arn?"},
		{"aws name", "[profile a]\nrole_arn = x\n", 2, "role_arn", "did you mean ram_role_arn?"},
		{"aws region", "[profile a]\nregion = cn-a\n", 2, "region", "did you mean region_id?"},
		{"secret in file", "[profile a]\naccess_key_secret = x\n", 2, "access_key_secret", "never reads keys from this file"},
		{"far away", "[profile a]\ncolour = blue\n", 2, "colour", "unknown key; ignored"},
		{"role option without role", "[profile a]\n\nduration = 1h\n", 3, "duration", "has no effect without ram_role_arn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseString(t, tt.src, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Warnings) != 1 {
				t.Fatalf("want one warning, got %v", cfg.Warnings)
			}
			w := cfg.Warnings[0]
			if w.File != testPath || w.Line != tt.line || w.Profile != "a" || w.Key != tt.key || !strings.Contains(w.Message, tt.msg) {
				t.Errorf("warning %+v, want line %d key %s msg %q", w, tt.line, tt.key, tt.msg)
			}
			if strings.Contains(w.String(), "blue") || strings.Contains(w.String(), "= x") {
				t.Errorf("warning echoes the value: %s", w)
			}
		})
	}
}

func TestDurationForms(t *testing.T) {
	for _, tt := range []struct {
		line string
		want time.Duration
	}{
		{"duration = 1h", time.Hour},
		{"duration = 90m", 90 * time.Minute},
		{"duration = 3600", time.Hour},
		{"duration = 15m", 900 * time.Second},
		{"duration = 12h", 12 * time.Hour},
		{"duration = 1h30m15s", time.Hour + 30*time.Minute + 15*time.Second},
		{"expired_seconds = 1800", 30 * time.Minute},
		{"expired_seconds = 43200", 12 * time.Hour},
	} {
		cfg, err := parseString(t, "[profile a]\nram_role_arn = "+arn+"\n"+tt.line+"\n", nil)
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		p, _ := cfg.Profile("a")
		if p.Duration != tt.want {
			t.Errorf("%s: got %v want %v", tt.line, p.Duration, tt.want)
		}
	}
}

func TestDefaultHeaderForms(t *testing.T) {
	for _, src := range []string{"[default]\nregion_id = cn-a\n", "[profile default]\nregion_id = cn-a\n", "\ufeff[ default ]\nregion_id = cn-a"} {
		cfg, err := parseString(t, src, nil)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if cfg.Region("default") != "cn-a" {
			t.Errorf("%q: default not parsed: %v", src, cfg.Names())
		}
	}
}

func TestChainOrderAndRegion(t *testing.T) {
	src := `[profile root]
region_id = cn-hangzhou

[profile mid]
source_profile = root
ram_role_arn = acs:ram::111111111111:role/mid

[profile leaf]
source_profile = mid
ram_role_arn = acs:ram::222222222222:role/leaf

[profile regional]
source_profile = leaf
region_id = ap-southeast-1

[profile alone]
`
	cfg, chain := parseChain(t, src, "leaf")
	var names []string
	for _, p := range chain {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "root mid leaf" {
		t.Errorf("chain %q, want root first", got)
	}
	if chain, _ := cfg.Chain("root"); len(chain) != 1 || chain[0].Name != "root" {
		t.Errorf("root chain %v", chain)
	}
	// Region-only override: allowed without ram_role_arn.
	if chain, err := cfg.Chain("regional"); err != nil || len(chain) != 4 || chain[3].AssumesRole() {
		t.Errorf("regional chain %v, %v", chain, err)
	}
	for name, want := range map[string]string{
		"root": "cn-hangzhou", "mid": "cn-hangzhou", "leaf": "cn-hangzhou",
		"regional": "ap-southeast-1", "alone": "", "missing": "",
	} {
		if got := cfg.Region(name); got != want {
			t.Errorf("Region(%s) = %q want %q", name, got, want)
		}
	}
	// Copies: changing a result does not change the config.
	chain[0].RegionID = "changed"
	if cfg.Region("leaf") != "cn-hangzhou" {
		t.Error("Chain returned shared profiles")
	}
	if _, err := cfg.Chain("nope"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("Chain(nope) err %v", err)
	}
}

func TestChainDefensiveCycle(t *testing.T) {
	// Parse rejects cycles; a Config built by hand must still not hang.
	cfg := &Config{profiles: map[string]*Profile{
		"a": {Name: "a", SourceProfile: "b"}, "b": {Name: "b", SourceProfile: "a"},
	}}
	if _, err := cfg.Chain("a"); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("err %v", err)
	}
	if cfg.Region("a") != "" {
		t.Error("region from cycle")
	}
}

func TestProfileNotFound(t *testing.T) {
	cfg, err := parseString(t, "[profile prod]\n[profile prod2]\n[profile dev]\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Profile("prdo")
	if !errors.Is(err, ErrProfileNotFound) {
		t.Fatalf("err %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`"prdo" not found in ` + testPath, `did you mean "prod"`, `alirole add prdo`, `[profile prdo]`} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "dev") {
		t.Errorf("suggested an unrelated name: %q", msg)
	}
	_, err = cfg.Profile("zzzzzzzz")
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("unexpected suggestion: %v", err)
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name, src, path string
		line            int
	}{
		{"self", "[profile a]\nsource_profile = a\n", "a -> a", 2},
		{"two", "[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\n", "a -> b -> a", 2},
		{"three", "[profile x]\nsource_profile = c\n[profile c]\nsource_profile = a\n[profile a]\nsource_profile = b\n[profile b]\nsource_profile = c\n",
			"c -> a -> b -> c", 4},
		{"entered midway", "[profile x]\nsource_profile = b\n[profile a]\nsource_profile = b\n[profile b]\nsource_profile = c\n[profile c]\nsource_profile = a\n",
			"a -> b -> c -> a", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			e := oneError(t, tt.src)
			if d := time.Since(start); d > 200*time.Millisecond {
				t.Errorf("took %v", d)
			}
			if e.Key != "source_profile" || e.Line != tt.line || !strings.HasSuffix(e.Msg, "cycle: "+tt.path) {
				t.Errorf("got %v, want line %d cycle %s", e, tt.line, tt.path)
			}
		})
	}
}

func TestLongCycleFast(t *testing.T) {
	var b strings.Builder
	const n = 5000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[profile p%d]\nsource_profile = p%d\n", i, (i+1)%n)
	}
	start := time.Now()
	_, err := parseString(t, b.String(), nil)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v", d)
	}
	errs := configErrors(t, err)
	if len(errs) != 1 || !strings.Contains(errs[0].Msg, "cycle: p0 -> p1 -> p2") || !strings.HasSuffix(errs[0].Msg, "p4999 -> p0") {
		t.Errorf("got %d errors, first %.200v", len(errs), err)
	}
}

func TestGeneratedLoadFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, generated(5000), 0o600)
	start := time.Now()
	cfg, err := Load(path)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Names()) != 5000 {
		t.Fatalf("%d profiles", len(cfg.Names()))
	}
	if chain, err := cfg.Chain("p4999"); err != nil || len(chain) != 10 || chain[0].Name != "p4990" {
		t.Errorf("chain %d %v", len(chain), err)
	}
	// Generous bound (race detector, slow CI); BenchmarkLoad5000 measures.
	if elapsed > 2*time.Second {
		t.Errorf("load took %v", elapsed)
	}
}

func BenchmarkLoad5000(b *testing.B) {
	path := filepath.Join(b.TempDir(), "config")
	writeFile(b, path, generated(5000), 0o600)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPolicyFile(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	policy := `{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:Get*", "Resource": "*"}]}`
	writeFile(t, filepath.Join(dir, "cfg", "policies", "read.json"), policy+"\n", 0o600)
	writeFile(t, filepath.Join(home, "p.json"), `{"Version":"1"}`, 0o600)
	if err := os.Mkdir(filepath.Join(dir, "cfg", "adir"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cfg", "config")
	writeFile(t, path, "[profile rel]\nram_role_arn = "+arn+"\npolicy_file = policies/read.json\n"+
		"[profile tilde]\nram_role_arn = "+arn+"\npolicy_file = ~/p.json\n", 0o600)
	cfg, err := LoadWithOptions(path, Options{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := cfg.Profile("rel")
	if rel.Policy != policy || rel.PolicyFile != filepath.Join(dir, "cfg", "policies", "read.json") {
		t.Errorf("rel = %q from %q", rel.Policy, rel.PolicyFile)
	}
	tilde, _ := cfg.Profile("tilde")
	if tilde.Policy != `{"Version":"1"}` {
		t.Errorf("tilde = %q", tilde.Policy)
	}

	// A directory (or device, FIFO) is refused instead of read.
	writeFile(t, path, "[profile d]\nram_role_arn = "+arn+"\npolicy_file = adir\n", 0o600)
	_, err = Load(path)
	if errs := configErrors(t, err); len(errs) != 1 || !strings.Contains(errs[0].Msg, "not a regular file") || errs[0].Line != 3 {
		t.Errorf("err %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "config")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != path || len(cfg.Names()) != 0 {
		t.Errorf("cfg %+v", cfg)
	}
	if _, err := cfg.Profile("default"); !errors.Is(err, ErrProfileNotFound) || !strings.Contains(err.Error(), path) {
		t.Errorf("err %v", err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir) // a directory: read fails with something other than not-exist
	if err == nil || !strings.Contains(err.Error(), "read config") {
		t.Errorf("err %v", err)
	}
}

func TestDefaultPath(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ALIROLE_CONFIG_FILE": "/x/c", "XDG_CONFIG_HOME": "/xdg"}, "/x/c"},
		{map[string]string{"XDG_CONFIG_HOME": "/xdg"}, "/xdg/alirole/config"},
		{map[string]string{"XDG_CONFIG_HOME": "relative"}, "/home/u/.config/alirole/config"},
		{nil, "/home/u/.config/alirole/config"},
	}
	for _, tt := range tests {
		got := DefaultPath(func(k string) string { return tt.env[k] }, "/home/u")
		if got != tt.want {
			t.Errorf("%v: got %s want %s", tt.env, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{
		{"", "abc", 3}, {"abc", "", 3}, {"abc", "abc", 0}, {"abc", "acb", 1},
		{"kitten", "sitting", 3}, {"region_id", "regoin_id", 1}, {"ca", "abc", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.d {
			t.Errorf("editDistance(%q,%q)=%d want %d", tt.a, tt.b, got, tt.d)
		}
	}
}

// Inline comments after a blank are cut off; quoted markers and markers
// without a blank before them stay part of the value.
func TestInlineComments(t *testing.T) {
	src := "[profile me]\n" +
		"region_id = cn-hangzhou              # AccessKey stored with `alirole add me`\n" +
		"[profile admin] ; the admin hop\n" +
		"source_profile = me\t; tab before the marker\n" +
		"ram_role_arn   = acs:ram::1234567890123456:role/admin\n" +
		"duration       = 2h                  # or expired_seconds = 7200\n" +
		"[profile uri]\n" +
		"credential_source = credentials_uri\n" +
		"credentials_uri = http://127.0.0.1:8080/creds#frag;x   # the marker needs a blank before it\n" +
		"[profile ext]\n" +
		"credential_source = external\n" +
		"process_command = sh -c \"get-creds ; echo '#'\" # only this is a comment\n"
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	me, _ := cfg.Profile("me")
	admin, _ := cfg.Profile("admin")
	uri, _ := cfg.Profile("uri")
	ext, _ := cfg.Profile("ext")
	if me.RegionID != "cn-hangzhou" || admin.SourceProfile != "me" || admin.Duration != 2*time.Hour {
		t.Errorf("me = %+v\nadmin = %+v", *me, *admin)
	}
	if uri.CredentialsURI != "http://127.0.0.1:8080/creds#frag;x" {
		t.Errorf("credentials_uri = %q", uri.CredentialsURI)
	}
	if want := `sh -c "get-creds ; echo '#'"`; ext.ProcessCommand != want {
		t.Errorf("process_command = %q, want %q", ext.ProcessCommand, want)
	}
}
