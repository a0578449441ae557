package aliyuncli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// cliConfig is laid out the way the aliyun CLI writes it (json.MarshalIndent
// with a tab), plus fields neither the CLI nor alirole knows.
const cliConfig = `{
	"current": "dev",
	"profiles": [
		{
			"name": "default",
			"mode": "AK",
			"access_key_id": "LTAI5tExampleKeyId01",
			"access_key_secret": "exampleSecretValue0123456789ab",
			"region_id": "cn-hangzhou",
			"output_format": "json",
			"language": "zh",
			"site": "china",
			"retry_timeout": 10,
			"connect_timeout": 5,
			"retry_count": 3,
			"x_future_field": {
				"nested": [
					1,
					2.50,
					"a\u0026b"
				]
			},
			"auto_plugin_install": true
		},
		{
			"name": "temp",
			"mode": "StsToken",
			"access_key_id": "STS.NExampleTemp",
			"access_key_secret": "tempSecretValue",
			"sts_token": "CAISexampleToken",
			"region_id": "cn-shanghai"
		},
		{
			"name": "dev",
			"mode": "RamRoleArn",
			"access_key_id": "LTAI5tExampleKeyId02",
			"access_key_secret": "devSecretValue",
			"ram_role_arn": "acs:ram::1234567890123456:role/dev",
			"ram_session_name": "alice",
			"external_id": "ext-1",
			"sts_region": "cn-beijing",
			"expired_seconds": 3600,
			"region_id": "cn-beijing"
		},
		{
			"name": "prod",
			"mode": "ChainableRamRoleArn",
			"source_profile": "default",
			"ram_role_arn": "acs:ram::6543210987654321:role/admin",
			"ram_session_name": "alice-prod",
			"region_id": "cn-hangzhou"
		},
		{
			"name": "ecs",
			"mode": "EcsRamRole",
			"ram_role_name": "worker",
			"region_id": "cn-hangzhou"
		},
		{
			"name": "ci",
			"mode": "OIDC",
			"ram_role_arn": "acs:ram::1234567890123456:role/ci",
			"ram_session_name": "ci",
			"oidc_provider_arn": "acs:ram::1234567890123456:oidc-provider/gh",
			"oidc_token_file": "/var/run/token",
			"region_id": "cn-hangzhou"
		},
		{
			"name": "ext",
			"mode": "External",
			"process_command": "/usr/local/bin/other-tool creds --json",
			"region_id": "cn-hangzhou"
		},
		{
			"name": "uri",
			"mode": "CredentialsURI",
			"credentials_uri": "http://127.0.0.1:8080/creds",
			"region_id": "cn-hangzhou"
		},
		{
			"name": "sso",
			"mode": "CloudSSO",
			"cloud_sso_sign_in_url": "https://signin-cn-shanghai.alibabacloudsso.com/x/login",
			"access_token": "ssoAccessTokenValue",
			"cloud_sso_access_token_expire": 1900000000,
			"region_id": "cn-hangzhou"
		}
	],
	"meta_path": "",
	"plugin_settings": {
		"source_base": "https://example.invalid"
	}
}
`

var testNow = time.Date(2026, 11, 23, 20, 15, 0, 0, time.UTC)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, path string) *File {
	t.Helper()
	f, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return f
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeAny decodes JSON keeping numbers as written, so 2.50 ≠ 2.5.
func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, b)
	}
	return v
}

func TestLoadParsesProfiles(t *testing.T) {
	f := mustLoad(t, writeConfig(t, cliConfig))
	ps := f.Profiles()
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	want := []string{"default", "temp", "dev", "prod", "ecs", "ci", "ext", "uri", "sso"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	dev, ok := f.Profile("dev")
	if !ok {
		t.Fatal("dev not found")
	}
	wantDev := Profile{
		Name: "dev", Mode: "RamRoleArn", AccessKeyID: "LTAI5tExampleKeyId02", AccessKeySecret: "devSecretValue",
		RamRoleArn: "acs:ram::1234567890123456:role/dev", RamSessionName: "alice", ExternalID: "ext-1",
		StsRegion: "cn-beijing", ExpiredSeconds: 3600, RegionID: "cn-beijing",
	}
	if dev != wantDev {
		t.Errorf("dev = %#v", dev) // GoString hides secrets; compare fields below
		t.Errorf("got %+v", []any{dev.Name, dev.Mode, dev.RamRoleArn, dev.ExpiredSeconds, dev.StsRegion})
	}
	ci, _ := f.Profile("ci")
	if ci.OIDCProviderArn != "acs:ram::1234567890123456:oidc-provider/gh" || ci.OIDCTokenFile != "/var/run/token" {
		t.Errorf("ci OIDC fields = %q %q", ci.OIDCProviderArn, ci.OIDCTokenFile)
	}
	if p, _ := f.Profile("prod"); p.SourceProfile != "default" {
		t.Errorf("prod source = %q", p.SourceProfile)
	}
	if p, _ := f.Profile("ecs"); p.RamRoleName != "worker" {
		t.Errorf("ecs role name = %q", p.RamRoleName)
	}
	if p, _ := f.Profile("uri"); p.CredentialsURI != "http://127.0.0.1:8080/creds" {
		t.Errorf("uri = %q", p.CredentialsURI)
	}
	if p, _ := f.Profile("ext"); p.ProcessCommand != "/usr/local/bin/other-tool creds --json" {
		t.Errorf("process_command = %q", p.ProcessCommand)
	}
	if _, ok := f.Profile("nope"); ok {
		t.Error("found a profile that does not exist")
	}
	if got := f.Current(); got != "dev" {
		t.Errorf("Current = %q", got)
	}
}

func TestProfileStringHidesSecrets(t *testing.T) {
	p := Profile{Name: "n", Mode: "StsToken", AccessKeyID: "LTAIid", AccessKeySecret: "s3cr3t", StsToken: "t0ken"}
	for _, s := range []string{fmt.Sprint(p), fmt.Sprintf("%+v", p), fmt.Sprintf("%#v", p), fmt.Sprintf("%v", []Profile{p})} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, "t0ken") {
			t.Errorf("formatted profile leaks a secret: %s", s)
		}
		if !strings.Contains(s, `"n"`) {
			t.Errorf("formatted profile lacks its name: %s", s)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	f := mustLoad(t, filepath.Join(t.TempDir(), "nope", "config.json"))
	if len(f.Profiles()) != 0 || f.Current() != "" {
		t.Fatalf("missing file gave profiles %v current %q", f.Profiles(), f.Current())
	}
}

func TestLoadErrors(t *testing.T) {
	cases := map[string]string{
		"not JSON":             `{"current": `,
		"array at top":         `[]`,
		"trailing data":        `{"profiles": []} {}`,
		"profiles not array":   `{"profiles": {"name": "x"}}`,
		"profile not object":   `{"profiles": ["x"]}`,
		"wrong field type":     `{"profiles": [{"name": "x", "expired_seconds": "3600"}]}`,
		"mode not a string":    `{"profiles": [{"name": "x", "mode": 1}]}`,
		"broken profile value": `{"profiles": [{"name": "x", "mode": }]}`,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(writeConfig(t, content)); err == nil {
				t.Fatal("Load accepted invalid config")
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		if _, err := Load(t.TempDir()); err == nil {
			t.Fatal("Load accepted a directory")
		}
	})
}

func TestSaveWithoutEditsKeepsBytes(t *testing.T) {
	for name, content := range map[string]string{
		"cli":     cliConfig,
		"compact": `{"current":"a","profiles":[{"name":"a","mode":"AK","x":[1.0]}],"zz":null}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := writeConfig(t, content)
			f := mustLoad(t, path)
			backup, err := f.Save(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := mustRead(t, path); string(got) != content {
				t.Fatalf("Save without edits changed the file:\n%s", got)
			}
			if got := mustRead(t, backup); string(got) != content {
				t.Fatal("backup differs from the original")
			}
		})
	}
}

func TestSetExternalOnAKProfile(t *testing.T) {
	path := writeConfig(t, cliConfig)
	f := mustLoad(t, path)
	orig := []byte(cliConfig)
	at := f.entries[0].at
	cmd := "/opt/alirole/bin/alirole export --format external dev"
	created, err := f.SetExternal("default", cmd, "")
	if err != nil || created {
		t.Fatalf("SetExternal = %v, %v", created, err)
	}
	if _, err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	out := mustRead(t, path)

	// Everything outside the edited profile is byte-for-byte the same.
	if !bytes.HasPrefix(out, orig[:at.start]) {
		t.Fatal("bytes before the edited profile changed")
	}
	if !bytes.HasSuffix(out, orig[at.end:]) {
		t.Fatal("bytes after the edited profile changed")
	}
	// The profile keeps its key order and values (2.50 and \u0026 as
	// written), loses its secrets and gets process_command appended.
	wantProfile := `{
			"name": "default",
			"mode": "External",
			"region_id": "cn-hangzhou",
			"output_format": "json",
			"language": "zh",
			"site": "china",
			"retry_timeout": 10,
			"connect_timeout": 5,
			"retry_count": 3,
			"x_future_field": {
				"nested": [
					1,
					2.50,
					"a\u0026b"
				]
			},
			"auto_plugin_install": true,
			"process_command": "/opt/alirole/bin/alirole export --format external dev"
		}`
	got := string(out[at.start : len(out)-(len(orig)-at.end)])
	if got != wantProfile {
		t.Fatalf("edited profile:\n%s\nwant:\n%s", got, wantProfile)
	}
	if bytes.Contains(out, []byte("exampleSecretValue0123456789ab")) || bytes.Contains(out, []byte("LTAI5tExampleKeyId01")) {
		t.Fatal("secret of the edited profile still in the file")
	}

	g := mustLoad(t, path)
	p, _ := g.Profile("default")
	if p.Mode != "External" || p.ProcessCommand != cmd || p.RegionID != "cn-hangzhou" || p.AccessKeyID != "" || p.AccessKeySecret != "" {
		t.Fatalf("reloaded profile = %+v", []string{p.Mode, p.ProcessCommand, p.RegionID, p.AccessKeyID})
	}
	if len(g.Profiles()) != 9 {
		t.Fatalf("profile count = %d", len(g.Profiles()))
	}
}

func TestSetExternalRemovesEverySecretField(t *testing.T) {
	var fields []string
	for i, k := range secretKeys {
		fields = append(fields, fmt.Sprintf("%q: %q", k, fmt.Sprintf("secret-%d", i)))
	}
	content := `{"current": "x", "profiles": [{"name": "x", "mode": "OAuth", ` + strings.Join(fields, ", ") +
		`, "region_id": "cn-hangzhou", "oauth_site_type": "CN", "mode": "AK"}]}`
	path := writeConfig(t, content)
	f := mustLoad(t, path)
	if _, err := f.SetExternal("x", "alirole export --format external x", "eu-central-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	out := mustRead(t, path)
	if bytes.Contains(out, []byte("secret-")) {
		t.Fatalf("secret fields left: %s", out)
	}
	// The duplicate "mode" key collapses into one at the first position.
	want := `{"current": "x", "profiles": [{"name":"x","mode":"External","region_id":"eu-central-1","oauth_site_type":"CN","process_command":"alirole export --format external x"}]}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}

func TestSetExternalCreatesProfile(t *testing.T) {
	path := writeConfig(t, cliConfig)
	f := mustLoad(t, path)
	orig := []byte(cliConfig)
	lastEnd := f.entries[len(f.entries)-1].at.end
	created, err := f.SetExternal("alirole-dev", "/opt/alirole export --format external dev", "cn-shenzhen")
	if err != nil || !created {
		t.Fatalf("SetExternal = %v, %v", created, err)
	}
	if p, ok := f.Profile("alirole-dev"); !ok || p.Mode != "External" {
		t.Fatalf("new profile not visible before Save: %v", p)
	}
	if _, err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	out := mustRead(t, path)
	insert := `,
		{
			"name": "alirole-dev",
			"mode": "External",
			"region_id": "cn-shenzhen",
			"process_command": "/opt/alirole export --format external dev"
		}`
	want := string(orig[:lastEnd]) + insert + string(orig[lastEnd:])
	if string(out) != want {
		t.Fatalf("got:\n%s", out)
	}
	if f.Current() != "dev" {
		t.Fatalf("existing current changed to %q", f.Current())
	}
}

func TestSetExternalNeedsRegion(t *testing.T) {
	f := mustLoad(t, writeConfig(t, `{"current": "a", "profiles": [{"name": "a", "mode": "AK"}]}`))
	if _, err := f.SetExternal("new", "alirole export --format external x", ""); !errors.Is(err, ErrNoRegion) {
		t.Fatalf("new profile without region: %v", err)
	}
	if _, err := f.SetExternal("a", "alirole export --format external x", ""); !errors.Is(err, ErrNoRegion) {
		t.Fatalf("existing profile without region: %v", err)
	}
	if _, err := f.SetExternal("", "cmd", "r"); err == nil {
		t.Fatal("empty name accepted")
	}
	if _, err := f.SetExternal("a", " ", "r"); err == nil {
		t.Fatal("empty command accepted")
	}
	if p, _ := f.Profile("a"); p.Mode != "AK" || f.dirty() || len(f.Profiles()) != 1 {
		t.Fatal("a failed SetExternal changed the document")
	}
}

// TestLayouts covers the shapes the file takes in the wild: written by the
// CLI, by credentials-go (4 spaces), by hand, or not yet.
func TestLayouts(t *testing.T) {
	const cmd = "alirole export --format external x"
	cases := []struct {
		name    string
		content string // "-" for no file
		want    string
	}{
		{
			name: "credentials-go style",
			content: `{
    "current": "a",
    "profiles": [
        {
            "name": "a",
            "mode": "AK",
            "access_key_id": "id",
            "region_id": "r1"
        }
    ]
}
`,
			want: `{
    "current": "a",
    "profiles": [
        {
            "name": "a",
            "mode": "External",
            "region_id": "r1",
            "process_command": "alirole export --format external x"
        },
        {
            "name": "new",
            "mode": "External",
            "region_id": "r2",
            "process_command": "alirole export --format external x"
        }
    ]
}
`,
		},
		{
			name:    "compact",
			content: `{"current":"a","profiles":[{"name":"a","mode":"AK","region_id":"r1"}, {"name":"b","mode":"AK"}],"meta_path":""}`,
			want:    `{"current":"a","profiles":[{"name":"a","mode":"External","region_id":"r1","process_command":"alirole export --format external x"}, {"name":"b","mode":"AK"}, {"name":"new","mode":"External","region_id":"r2","process_command":"alirole export --format external x"}],"meta_path":""}`,
		},
		{
			name: "profile on the bracket line",
			content: `{
	"current": "a",
	"profiles": [{
		"name": "a",
		"region_id": "r1"
	}]
}`,
			want: `{
	"current": "a",
	"profiles": [{
		"name": "a",
		"region_id": "r1",
		"mode": "External",
		"process_command": "alirole export --format external x"
	},{
		"name": "new",
		"mode": "External",
		"region_id": "r2",
		"process_command": "alirole export --format external x"
	}]
}`,
		},
		{
			name:    "empty profiles and empty current",
			content: "{\n\t\"current\": \"\",\n\t\"profiles\": [],\n\t\"meta_path\": \"\"\n}",
			want: `{
	"current": "new",
	"profiles": [
		{
			"name": "new",
			"mode": "External",
			"region_id": "r2",
			"process_command": "alirole export --format external x"
		}
	],
	"meta_path": ""
}`,
		},
		{
			name:    "null profiles",
			content: `{"current": "keep", "profiles": null, "x": 1}`,
			want:    `{"current": "keep", "profiles": [{"name":"new","mode":"External","region_id":"r2","process_command":"alirole export --format external x"}], "x": 1}`,
		},
		{
			name:    "no profiles key",
			content: "{\n  \"x\": {\"y\": 2.0}\n}\n",
			want: `{
  "x": {
    "y": 2.0
  },
  "current": "new",
  "profiles": [
    {
      "name": "new",
      "mode": "External",
      "region_id": "r2",
      "process_command": "alirole export --format external x"
    }
  ]
}
`,
		},
		{
			name:    "empty file",
			content: "\n",
			want: `{
	"current": "new",
	"profiles": [
		{
			"name": "new",
			"mode": "External",
			"region_id": "r2",
			"process_command": "alirole export --format external x"
		}
	],
	"meta_path": ""
}
`,
		},
		{
			name:    "no file",
			content: "-",
			want: `{
	"current": "new",
	"profiles": [
		{
			"name": "new",
			"mode": "External",
			"region_id": "r2",
			"process_command": "alirole export --format external x"
		}
	],
	"meta_path": ""
}
`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var path string
			if tc.content == "-" {
				path = filepath.Join(t.TempDir(), "config.json")
			} else {
				path = writeConfig(t, tc.content)
			}
			f := mustLoad(t, path)
			if _, ok := f.Profile("a"); ok {
				if _, err := f.SetExternal("a", cmd, ""); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.SetExternal("new", cmd, "r2"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.Save(path); err != nil {
				t.Fatal(err)
			}
			got := mustRead(t, path)
			if string(got) != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			decodeAny(t, got)
			// The saved state is the loaded state: a second round needs no
			// reload and changes nothing.
			if _, err := f.Save(path); err != nil {
				t.Fatal(err)
			}
			if again := mustRead(t, path); !bytes.Equal(again, got) {
				t.Fatal("second Save changed the file")
			}
		})
	}
}

func TestRoundTripSemanticsAfterEdit(t *testing.T) {
	path := writeConfig(t, cliConfig)
	f := mustLoad(t, path)
	if _, err := f.SetExternal("dev", "alirole export --format external dev", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetExternal("fresh", "alirole export --format external fresh", "cn-hangzhou"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	got := decodeAny(t, mustRead(t, path)).(map[string]any)
	want := decodeAny(t, []byte(cliConfig)).(map[string]any)
	profiles := want["profiles"].([]any)
	dev := profiles[2].(map[string]any)
	for _, k := range []string{"access_key_id", "access_key_secret"} {
		delete(dev, k)
	}
	dev["mode"] = "External"
	dev["process_command"] = "alirole export --format external dev"
	want["profiles"] = append(profiles, map[string]any{
		"name": "fresh", "mode": "External", "region_id": "cn-hangzhou",
		"process_command": "alirole export --format external fresh",
	})
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("document after edits:\n%s", g)
	}
}

func TestSaveBackupAndPermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(cliConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	f := mustLoad(t, path)
	if _, err := f.SetExternal("default", "alirole export --format external d", ""); err != nil {
		t.Fatal(err)
	}
	backup, err := f.Save(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := path + BackupSuffix; backup != want {
		t.Fatalf("backup = %q, want %q", backup, want)
	}
	if got := mustRead(t, backup); string(got) != cliConfig {
		t.Fatal("backup content differs from the old file")
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{path, backup} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode = %v, want 0600", filepath.Base(p), fi.Mode().Perm())
			}
		}
	}
	// Later saves keep the one backup of the original and make no other:
	// each copy could hold another plaintext secret.
	for i := range 5 {
		if _, err := f.SetExternal(fmt.Sprintf("temp%d", i), "alirole export --format external t", "cn-hangzhou"); err != nil {
			t.Fatal(err)
		}
		backup2, err := f.Save(path)
		if err != nil {
			t.Fatal(err)
		}
		if backup2 != backup {
			t.Fatalf("save %d: backup = %q, want the original's %q", i, backup2, backup)
		}
	}
	if got := mustRead(t, backup); string(got) != cliConfig {
		t.Fatal("the backup of the original was overwritten")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"config.json", "config.json.alirole-backup"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("directory holds %v, want %v (no temporary files)", names, want)
	}
}

func TestSaveCreatesPrivateDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".aliyun", "config.json")
	f := mustLoad(t, path)
	if _, err := f.SetExternal("p", "alirole export --format external p", "cn-hangzhou"); err != nil {
		t.Fatal(err)
	}
	backup, err := f.Save(path)
	if err != nil {
		t.Fatal(err)
	}
	if backup != "" {
		t.Fatalf("backup %q made for a file that did not exist", backup)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Fatalf("dir mode = %v", fi.Mode().Perm())
		}
		fi, err = os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("file mode = %v", fi.Mode().Perm())
		}
	}
	g := mustLoad(t, path)
	if g.Current() != "p" {
		t.Fatalf("current = %q", g.Current())
	}
}

func TestSaveRefusesConcurrentChange(t *testing.T) {
	t.Run("modified", func(t *testing.T) {
		path := writeConfig(t, cliConfig)
		f := mustLoad(t, path)
		if _, err := f.SetExternal("default", "alirole export --format external d", ""); err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(cliConfig, `"current": "dev"`, `"current": "prod"`, 1)
		if err := os.WriteFile(path, []byte(changed), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Save(path); !errors.Is(err, ErrChanged) {
			t.Fatalf("Save = %v, want ErrChanged", err)
		}
		if got := mustRead(t, path); string(got) != changed {
			t.Fatal("Save overwrote a concurrent change")
		}
		assertOnly(t, filepath.Dir(path), "config.json")
	})
	t.Run("created meanwhile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "config.json")
		f := mustLoad(t, path)
		if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Save(path); !errors.Is(err, ErrChanged) {
			t.Fatalf("Save = %v, want ErrChanged", err)
		}
	})
	t.Run("deleted meanwhile", func(t *testing.T) {
		path := writeConfig(t, cliConfig)
		f := mustLoad(t, path)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Save(path); !errors.Is(err, ErrChanged) {
			t.Fatalf("Save = %v, want ErrChanged", err)
		}
	})
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

func TestSaveThroughSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	real := filepath.Join(t.TempDir(), "dotfiles-config.json")
	if err := os.WriteFile(real, []byte(cliConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "config.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	f := mustLoad(t, link)
	if _, err := f.SetExternal("default", "alirole export --format external d", ""); err != nil {
		t.Fatal(err)
	}
	backup, err := f.Save(link)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	if p, _ := mustLoad(t, real).Profile("default"); p.Mode != "External" {
		t.Fatal("symlink target not updated")
	}
	// The backup stays next to the link, not in the (maybe shared) target dir.
	if filepath.Dir(backup) != dir {
		t.Fatalf("backup in %s", filepath.Dir(backup))
	}
	assertOnly(t, filepath.Dir(real), "dotfiles-config.json")
}

func TestDefaultPath(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	got, err := DefaultPath(getenv, "/home/u")
	if err != nil || got != filepath.Join("/home/u", ".aliyun", "config.json") {
		t.Fatalf("DefaultPath = %q, %v", got, err)
	}
	if _, err := DefaultPath(getenv, ""); err == nil {
		t.Fatal("no error without home")
	}
	env[ConfigFileEnv] = "/etc/aliyun.json"
	if got, _ := DefaultPath(getenv, ""); got != "/etc/aliyun.json" {
		t.Fatalf("DefaultPath with %s = %q", ConfigFileEnv, got)
	}
}

func TestSetExternalIdempotent(t *testing.T) {
	path := writeConfig(t, cliConfig)
	f := mustLoad(t, path)
	if f.Modified() {
		t.Fatal("fresh load reports modifications")
	}
	cmd := "alirole export --format external dev"
	if _, err := f.SetExternal("default", cmd, ""); err != nil || !f.Modified() {
		t.Fatalf("SetExternal: %v, modified %v", err, f.Modified())
	}
	if _, err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	g := mustLoad(t, path)
	if created, err := g.SetExternal("default", cmd, "cn-hangzhou"); err != nil || created || g.Modified() {
		t.Fatalf("same setup again: created %v, err %v, modified %v", created, err, g.Modified())
	}
	if _, err := g.SetExternal("default", cmd+"2", ""); err != nil || !g.Modified() {
		t.Fatal("a different command did not modify the file")
	}
}

// The aliyun CLI reads keys through encoding/json, which ignores case, so
// differently cased secret keys must go too.
func TestSetExternalKeysIgnoreCase(t *testing.T) {
	path := writeConfig(t, `{"Current": "", "Profiles": [{"Name": "x", "Mode": "AK", "Access_Key_Secret": "s3cr3t", "REGION_ID": "r"}]}`)
	f := mustLoad(t, path)
	p, ok := f.Profile("x")
	if !ok || p.AccessKeySecret != "s3cr3t" || p.RegionID != "r" {
		t.Fatal("case-insensitive keys not read")
	}
	if _, err := f.SetExternal("x", "alirole export --format external x", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	want := `{"Current": "", "Profiles": [{"Name":"x","mode":"External","REGION_ID":"r","process_command":"alirole export --format external x"}]}`
	if got := mustRead(t, path); string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
