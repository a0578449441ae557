package shellenv

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/creds"
)

var (
	testExpiry = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	stsCreds   = creds.Credentials{
		AccessKeyID:     "STS.id",
		AccessKeySecret: "secret",
		SecurityToken:   "token",
		Expiration:      testExpiry,
	}
	akCreds = creds.Credentials{AccessKeyID: "LTAIid", AccessKeySecret: "secret"}
)

func TestVars(t *testing.T) {
	tests := []struct {
		name string
		c    creds.Credentials
		o    Options
		want []Var
	}{
		{
			name: "sts with region, profile and expiry",
			c:    stsCreds,
			o:    Options{Region: "cn-hangzhou", Profile: "prod"},
			want: []Var{
				{"ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.id"},
				{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"},
				{"ALIBABA_CLOUD_SECURITY_TOKEN", "token"},
				{"ALIBABA_CLOUD_REGION_ID", "cn-hangzhou"},
				{"ALIBABA_CLOUD_REGION", "cn-hangzhou"},
				{"ALIBABACLOUD_ACCESS_KEY_ID", "STS.id"},
				{"ALIBABACLOUD_ACCESS_KEY_SECRET", "secret"},
				{"ALIBABACLOUD_SECURITY_TOKEN", "token"},
				{"ALIBABACLOUD_REGION_ID", "cn-hangzhou"},
				{"ALICLOUD_ACCESS_KEY_ID", "STS.id"},
				{"ALICLOUD_ACCESS_KEY_SECRET", "secret"},
				{"ALICLOUD_SECURITY_TOKEN", "token"},
				{"ALICLOUD_REGION_ID", "cn-hangzhou"},
				{"ALICLOUD_ACCESS_KEY", "STS.id"},
				{"ALICLOUD_SECRET_KEY", "secret"},
				{"ALICLOUD_REGION", "cn-hangzhou"},
				{"ALIBABA_CLOUD_IGNORE_PROFILE", "TRUE"},
				{"ALIBABACLOUD_IGNORE_PROFILE", "TRUE"},
				{"ALIROLE_PROFILE", "prod"},
				{"ALIROLE_SESSION_EXPIRATION", "2026-03-04T05:06:07Z"},
			},
		},
		{
			name: "long-term key, no region, no profile",
			c:    akCreds,
			want: []Var{
				{"ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIid"},
				{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"},
				{"ALIBABACLOUD_ACCESS_KEY_ID", "LTAIid"},
				{"ALIBABACLOUD_ACCESS_KEY_SECRET", "secret"},
				{"ALICLOUD_ACCESS_KEY_ID", "LTAIid"},
				{"ALICLOUD_ACCESS_KEY_SECRET", "secret"},
				{"ALICLOUD_ACCESS_KEY", "LTAIid"},
				{"ALICLOUD_SECRET_KEY", "secret"},
				{"ALIBABA_CLOUD_IGNORE_PROFILE", "TRUE"},
				{"ALIBABACLOUD_IGNORE_PROFILE", "TRUE"},
			},
		},
		{
			name: "sts without known expiry",
			c:    creds.Credentials{AccessKeyID: "STS.a", AccessKeySecret: "s", SecurityToken: "t"},
			o:    Options{Profile: "dev"},
			want: []Var{
				{"ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.a"},
				{"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"},
				{"ALIBABA_CLOUD_SECURITY_TOKEN", "t"},
				{"ALIBABACLOUD_ACCESS_KEY_ID", "STS.a"},
				{"ALIBABACLOUD_ACCESS_KEY_SECRET", "s"},
				{"ALIBABACLOUD_SECURITY_TOKEN", "t"},
				{"ALICLOUD_ACCESS_KEY_ID", "STS.a"},
				{"ALICLOUD_ACCESS_KEY_SECRET", "s"},
				{"ALICLOUD_SECURITY_TOKEN", "t"},
				{"ALICLOUD_ACCESS_KEY", "STS.a"},
				{"ALICLOUD_SECRET_KEY", "s"},
				{"ALIBABA_CLOUD_IGNORE_PROFILE", "TRUE"},
				{"ALIBABACLOUD_IGNORE_PROFILE", "TRUE"},
				{"ALIROLE_PROFILE", "dev"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Vars(tt.c, tt.o)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Vars:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestVarsExpirationIsUTC(t *testing.T) {
	c := stsCreds
	c.Expiration = time.Date(2026, 3, 4, 13, 6, 7, 0, time.FixedZone("CST", 8*3600))
	got := Vars(c, Options{})
	last := got[len(got)-1]
	if last.Name != EnvSessionExpiration || last.Value != "2026-03-04T05:06:07Z" {
		t.Fatalf("last var = %q, want ALIROLE_SESSION_EXPIRATION in UTC", last)
	}
}

func names(vs []Var) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Name
	}
	return out
}

func TestManagedNamesCoverEveryVars(t *testing.T) {
	managed := ManagedNames()
	assertUnique(t, managed)
	for _, c := range []creds.Credentials{stsCreds, akCreds} {
		for _, o := range []Options{{}, {Region: "r", Profile: "p"}} {
			for _, n := range names(Vars(c, o)) {
				if !slices.Contains(managed, n) {
					t.Errorf("Vars sets %s but ManagedNames lacks it", n)
				}
			}
		}
	}
	// Every managed name must be reachable, or --unset lists junk.
	full := names(Vars(stsCreds, Options{Region: "r", Profile: "p"}))
	if !reflect.DeepEqual(full, managed) {
		t.Errorf("ManagedNames = %q, want exactly the names of a full Vars %q", managed, full)
	}
}

func assertUnique(t *testing.T, names []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("name %s listed twice", n)
		}
		seen[n] = true
	}
}

func TestStaleNames(t *testing.T) {
	stale := StaleNames()
	assertUnique(t, stale)
	must := append(ManagedNames(),
		"ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE", "ALICLOUD_PROFILE",
		"ALIBABA_CLOUD_CREDENTIALS_URI", "ALICLOUD_CREDENTIALS_URI",
		"ACCESS_KEY_ID", "ACCESS_KEY_SECRET",
		"ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
		"ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_ROLE_SESSION_NAME",
		"ALIBABA_CLOUD_ECS_METADATA", "ALIROLE_FILE_PASSPHRASE",
		"ALIROLE_SESSION_EXPIRATION", "ALIROLE_PROFILE",
		"ALIBABA_CLOUD_IGNORE_PROFILE", "ALIBABACLOUD_IGNORE_PROFILE",
		// Terraform's assume_role {} defaults (alicloud/provider.go).
		"ALICLOUD_ASSUME_ROLE_ARN", "ALICLOUD_ASSUME_ROLE_SESSION_NAME", "ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION",
		// The aliyun CLI's other spellings and modes (config/profile.go).
		"ALIBABACLOUD_ROLE_ARN", "ALIBABA_CLOUD_EXTERNAL_ID", "SECURITY_TOKEN", "ALIBABA_CLOUD_PROFILE_MODE",
		"ALIBABA_CLOUD_BEARER_TOKEN",
	)
	for _, n := range must {
		if !slices.Contains(stale, n) {
			t.Errorf("StaleNames lacks %s", n)
		}
	}
	// Settings that are not credentials must survive.
	for _, n := range []string{"PATH", "HOME", "ALIBABA_CLOUD_CONFIG_FILE", "ALIBABA_CLOUD_STS_REGION", "ALIROLE_CONFIG"} {
		if slices.Contains(stale, n) {
			t.Errorf("StaleNames must not contain %s", n)
		}
	}
	// Callers may modify the result without affecting later calls.
	stale[0] = "MUTATED"
	if StaleNames()[0] == "MUTATED" {
		t.Error("StaleNames shares its backing array between calls")
	}
}

func TestScrub(t *testing.T) {
	in := []string{
		"PATH=/bin",
		"ALIBABA_CLOUD_ACCESS_KEY_ID=old",
		"ALIBABA_CLOUD_ACCESS_KEY_ID_EXTRA=keep", // prefix match is not a match
		"alibaba_cloud_access_key_id=keep",       // names are case-sensitive
		"ACCESS_KEY_SECRET=old",
		"=C:=C:\\dir", // Windows per-drive entry
		"ALIROLE_FILE_PASSPHRASE=hunter2",
		"HOME=/root",
		"ALICLOUD_PROFILE=",
		"ALIBABA_CLOUD_OIDC_TOKEN_FILE=/var/run/token",
		"NOEQUALS",
		"ALIBABA_CLOUD_SECURITY_TOKEN", // no '=': still named exactly
		"X=ALIBABA_CLOUD_ACCESS_KEY_ID=v",
	}
	orig := slices.Clone(in)
	got := Scrub(in)
	want := []string{
		"PATH=/bin",
		"ALIBABA_CLOUD_ACCESS_KEY_ID_EXTRA=keep",
		"alibaba_cloud_access_key_id=keep",
		"=C:=C:\\dir",
		"HOME=/root",
		"NOEQUALS",
		"X=ALIBABA_CLOUD_ACCESS_KEY_ID=v",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Scrub:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Fatal("Scrub modified its input")
	}
}

func TestMerge(t *testing.T) {
	in := []string{"PATH=/bin", "ALICLOUD_ACCESS_KEY=old", "TERM=xterm", "ALIBABA_CLOUD_PROFILE=p", "LANG=C"}
	vars := []Var{
		{"ALICLOUD_ACCESS_KEY", "new"},
		{"TERM", "dumb"}, // a non-stale name is overridden, not duplicated
		{"EXTRA", "1"},
		{"EXTRA", "2"}, // last wins
	}
	got := Merge(in, vars)
	want := []string{"PATH=/bin", "LANG=C", "ALICLOUD_ACCESS_KEY=new", "TERM=dumb", "EXTRA=2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Merge:\n got %q\nwant %q", got, want)
	}

	// A real Vars merge leaves exactly one entry per name with our values.
	env := Merge([]string{"ALIBABA_CLOUD_SECURITY_TOKEN=stale", "HOME=/h"}, Vars(akCreds, Options{}))
	for _, e := range env {
		if e == "ALIBABA_CLOUD_SECURITY_TOKEN=stale" {
			t.Fatal("stale token survived a merge of long-term credentials")
		}
	}
	if env[0] != "HOME=/h" || len(env) != 1+len(Vars(akCreds, Options{})) {
		t.Fatalf("unexpected merged env %q", env)
	}
}

func TestCLIProfileVars(t *testing.T) {
	in := Vars(stsCreds, Options{Region: "cn-shanghai", Profile: "prod"})
	out := CLIProfileVars(in, "prod")
	got := map[string]string{}
	for _, v := range out {
		got[v.Name] = v.Value
	}
	if _, ok := got["ALIBABA_CLOUD_IGNORE_PROFILE"]; ok {
		t.Error("IGNORE_PROFILE must go: it makes the aliyun CLI use cn-hangzhou")
	}
	if _, ok := got["ALIBABACLOUD_IGNORE_PROFILE"]; ok {
		t.Error("ALIBABACLOUD_IGNORE_PROFILE must go")
	}
	if got["ALIBABA_CLOUD_PROFILE"] != "prod" || got["ALIBABA_CLOUD_ACCESS_KEY_ID"] != "STS.id" {
		t.Errorf("got %v", got)
	}
	if len(in) != len(Vars(stsCreds, Options{Region: "cn-shanghai", Profile: "prod"})) || in[len(in)-3].Name != "ALIBABACLOUD_IGNORE_PROFILE" {
		t.Error("CLIProfileVars modified its input")
	}
}
