package aliyuncli

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	const arn = "acs:ram::1234567890123456:role/r"
	cases := []struct {
		name   string
		goos   string
		p      Profile
		want   ImportKind
		reason string // substring of the reason
	}{
		{"ak", "linux", Profile{Mode: "AK", AccessKeyID: "id", AccessKeySecret: "s"}, ImportAK, "AccessKey"},
		{"ak lower case", "linux", Profile{Mode: "ak", AccessKeyID: "id", AccessKeySecret: "s"}, ImportAK, "AccessKey"},
		{"ak without secret", "linux", Profile{Mode: "AK", AccessKeyID: "id"}, ImportSkip, "without"},
		{"no mode", "linux", Profile{AccessKeyID: "id", AccessKeySecret: "s"}, ImportSkip, "not configured"},
		{"sts token", "linux", Profile{Mode: "StsToken", AccessKeyID: "id", AccessKeySecret: "s", StsToken: "t"}, ImportSkip, "temporary"},
		{"ram role arn", "linux", Profile{Mode: "RamRoleArn", AccessKeyID: "id", AccessKeySecret: "s", RamRoleArn: arn}, ImportRole, "AccessKey"},
		{"ram role arn on sts", "linux", Profile{Mode: "RamRoleArn", AccessKeyID: "id", AccessKeySecret: "s", StsToken: "t", RamRoleArn: arn}, ImportSkip, "temporary"},
		{"ram role arn without arn", "linux", Profile{Mode: "RamRoleArn", AccessKeyID: "id", AccessKeySecret: "s"}, ImportSkip, "without"},
		{"chainable", "linux", Profile{Mode: "ChainableRamRoleArn", SourceProfile: "base", RamRoleArn: arn}, ImportRole, "base"},
		{"chainable without source", "linux", Profile{Mode: "ChainableRamRoleArn", RamRoleArn: arn}, ImportSkip, "source_profile"},
		{"role with ecs role", "linux", Profile{Mode: "RamRoleArnWithRoleName", RamRoleName: "w", RamRoleArn: arn}, ImportRole, "ECS"},
		{"role with ecs role, no arn", "linux", Profile{Mode: "RamRoleArnWithRoleName", RamRoleName: "w"}, ImportSkip, "ram_role_arn"},
		{"ecs ram role", "linux", Profile{Mode: "EcsRamRole", RamRoleName: "w"}, ImportSource, "ECS"},
		{"oidc", "linux", Profile{Mode: "OIDC", RamRoleArn: arn, OIDCProviderArn: "p", OIDCTokenFile: "/t"}, ImportSource, "OIDC"},
		{"oidc incomplete", "linux", Profile{Mode: "OIDC", RamRoleArn: arn}, ImportSkip, "oidc"},
		{"credentials uri", "linux", Profile{Mode: "CredentialsURI", CredentialsURI: "http://x"}, ImportSource, "URI"},
		{"external", "linux", Profile{Mode: "External", ProcessCommand: "/usr/bin/vault-helper aliyun"}, ImportSource, "external"},
		{"external alirole", "linux", Profile{Mode: "External", ProcessCommand: ProcessCommand("/usr/local/bin/alirole", "dev")}, ImportSkip, "alirole"},
		{"external quoted alirole", "linux", Profile{Mode: "External", ProcessCommand: joinCommand("linux", []string{"/a b/alirole", "export", "--format", "external", "x"})}, ImportSkip, "alirole"},
		{"external alirole.exe", "windows", Profile{Mode: "External", ProcessCommand: `"C:\Program Files\alirole\ALIROLE.EXE" export --format external x`}, ImportSkip, "alirole"},
		{"external alirole other command", "linux", Profile{Mode: "External", ProcessCommand: "alirole-wrapper export"}, ImportSource, "external"},
		{"external broken", "linux", Profile{Mode: "External", ProcessCommand: `"unclosed`}, ImportSkip, "process_command"},
		{"external empty", "linux", Profile{Mode: "External"}, ImportSkip, "process_command"},
		{"rsa", "linux", Profile{Mode: "RsaKeyPair"}, ImportSkip, "deprecated"},
		{"cloud sso", "linux", Profile{Mode: "CloudSSO"}, ImportSkip, "CloudSSO profile without"},
		{"cloud sso ok", "linux", Profile{Mode: "CloudSSO", CloudSSOSignInURL: "https://x/start/login", CloudSSOAccountID: "12345", CloudSSOAccessConfig: "ac-1"}, ImportSource, "CloudSSO"},
		{"oauth", "linux", Profile{Mode: "OAuth"}, ImportSkip, "OAuth profile without"},
		{"oauth ok", "linux", Profile{Mode: "OAuth", OAuthSiteType: "intl"}, ImportSource, "OAuth"},
		{"bearer", "linux", Profile{Mode: "BearerToken"}, ImportSkip, "no AccessKey"},
		{"anonymous", "linux", Profile{Mode: "Anonymous"}, ImportSkip, "no AccessKey"},
		{"unknown", "linux", Profile{Mode: "Quantum"}, ImportSkip, "unknown mode Quantum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := classify(tc.goos, tc.p)
			if got != tc.want || !strings.Contains(reason, tc.reason) {
				t.Fatalf("classify = %v %q; want %v containing %q", got, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestClassifyLoadedConfig(t *testing.T) {
	f := mustLoad(t, writeConfig(t, cliConfig))
	want := map[string]ImportKind{
		"default": ImportAK, "temp": ImportSkip, "dev": ImportRole, "prod": ImportRole,
		"ecs": ImportSource, "ci": ImportSource, "ext": ImportSource, "uri": ImportSource, "sso": ImportSkip,
	}
	for _, p := range f.Profiles() {
		got, reason := Classify(p)
		if got != want[p.Name] {
			t.Errorf("%s: %v (%s), want %v", p.Name, got, reason, want[p.Name])
		}
		for _, secret := range []string{p.AccessKeySecret, p.StsToken} {
			if secret != "" && strings.Contains(reason, secret) {
				t.Errorf("%s: reason leaks a secret", p.Name)
			}
		}
	}
}

func TestImportKindString(t *testing.T) {
	for k, want := range map[ImportKind]string{ImportSkip: "skip", ImportAK: "ak", ImportRole: "role", ImportSource: "source", ImportKind(42): "skip"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q", int(k), k.String())
		}
	}
	if CanonicalMode("chainableramrolearn") != "ChainableRamRoleArn" || CanonicalMode("x") != "x" {
		t.Error("CanonicalMode")
	}
}
