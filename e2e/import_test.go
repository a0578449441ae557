package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/config"
)

// TestImportScrub migrates a plaintext aliyun CLI config into alirole and
// replaces its secrets by External profiles that call alirole.
func TestImportScrub(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	cliPath := s.path("home/.aliyun/config.json")
	os.MkdirAll(filepath.Dir(cliPath), 0o700)
	cli := `{
	"current": "alice",
	"profiles": [
		{"name": "alice", "mode": "AK", "access_key_id": "` + aliceKeyID + `", "access_key_secret": "` + aliceSecret + `", "region_id": "cn-hangzhou", "output_format": "json"},
		{"name": "admin", "mode": "ChainableRamRoleArn", "source_profile": "alice", "ram_role_arn": "` + adminArn + `", "ram_session_name": "imported", "region_id": "cn-hangzhou"},
		{"name": "prod", "mode": "ChainableRamRoleArn", "source_profile": "admin", "ram_role_arn": "` + prodArn + `", "region_id": "cn-shanghai"},
		{"name": "temp", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "y", "sts_token": "z", "region_id": "cn-hangzhou"}
	],
	"meta_path": "",
	"unknown_field": {"kept": true}
}`
	if err := os.WriteFile(cliPath, []byte(cli), 0o600); err != nil {
		t.Fatal(err)
	}
	// The StsToken profile keeps its secret: exit 3 says so.
	r := s.run(nil, "import", "--scrub")
	if r.code != 3 || !strings.Contains(r.stderr, "skip temp") || !strings.Contains(r.stderr, "WITH its plaintext secrets") {
		t.Errorf("import report:\n%s", r.stderr)
	}
	// The imported chain works.
	ext := parseExternal(t, s.ok("export", "--format", "external", "prod").stdout)
	if ext.Mode != "StsToken" || counts(emu) != [3]int{1, 1, 0} {
		t.Fatalf("imported chain: %+v %v", ext.Mode, counts(emu))
	}
	// config.json no longer holds the secret; the backup does, and is private.
	after, _ := os.ReadFile(cliPath)
	if strings.Contains(string(after), aliceSecret) {
		t.Fatal("config.json still contains the secret after --scrub")
	}
	var doc struct {
		Profiles []map[string]any `json:"profiles"`
		Unknown  map[string]any   `json:"unknown_field"`
	}
	if err := json.Unmarshal(after, &doc); err != nil || doc.Unknown["kept"] != true {
		t.Fatalf("config.json after scrub: %v\n%s", err, after)
	}
	for _, p := range doc.Profiles {
		if p["name"] == "alice" {
			if p["mode"] != "External" || !strings.Contains(p["process_command"].(string), "export --format external alice") || p["output_format"] != "json" {
				t.Errorf("scrubbed profile: %v", p)
			}
		}
	}
	backups, _ := filepath.Glob(cliPath + ".alirole-backup*")
	if len(backups) != 1 {
		t.Fatalf("backups: %v", backups)
	}
	if fi, _ := os.Stat(backups[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", fi.Mode())
	}
	// Running import again changes nothing and says why.
	r = s.ok("import")
	if !strings.Contains(r.stderr, "skip alice: alirole already has a profile") {
		t.Errorf("second import:\n%s", r.stderr)
	}
}

// cliProfile is the aliyun CLI's Profile struct (aliyun-cli config/profile.go)
// with its field order and omitempty tags, for config.json files written the
// way `aliyun configure set` writes them (SaveConfiguration: MarshalIndent
// with a tab). EnableVpc and Policy are credentials-go's additions
// (providers/cli_profile.go), written by hand in real files.
type cliProfile struct {
	Name            string `json:"name"`
	Mode            string `json:"mode"`
	AccessKeyId     string `json:"access_key_id,omitempty"`
	AccessKeySecret string `json:"access_key_secret,omitempty"`
	StsToken        string `json:"sts_token,omitempty"`
	StsRegion       string `json:"sts_region,omitempty"`
	RamRoleName     string `json:"ram_role_name,omitempty"`
	RamRoleArn      string `json:"ram_role_arn,omitempty"`
	RoleSessionName string `json:"ram_session_name,omitempty"`
	ExternalId      string `json:"external_id,omitempty"`
	SourceProfile   string `json:"source_profile,omitempty"`
	PrivateKey      string `json:"private_key,omitempty"`
	KeyPairName     string `json:"key_pair_name,omitempty"`
	ExpiredSeconds  int    `json:"expired_seconds,omitempty"`
	Verified        string `json:"verified,omitempty"`
	RegionId        string `json:"region_id,omitempty"`
	OutputFormat    string `json:"output_format,omitempty"`
	Language        string `json:"language,omitempty"`
	Site            string `json:"site,omitempty"`
	ReadTimeout     int    `json:"retry_timeout,omitempty"`
	ConnectTimeout  int    `json:"connect_timeout,omitempty"`
	RetryCount      int    `json:"retry_count,omitempty"`
	ProcessCommand  string `json:"process_command,omitempty"`
	CredentialsURI  string `json:"credentials_uri,omitempty"`
	OIDCProviderARN string `json:"oidc_provider_arn,omitempty"`
	OIDCTokenFile   string `json:"oidc_token_file,omitempty"`
	EndpointType    string `json:"endpoint_type,omitempty"`
	BearerToken     string `json:"bearer_token,omitempty"`
	EnableVpc       bool   `json:"enable_vpc,omitempty"`
	Policy          string `json:"policy,omitempty"`
	StsEndpoint     string `json:"sts_endpoint,omitempty"`
}

func writeCLIConfig(t *testing.T, path string, profiles ...cliProfile) {
	t.Helper()
	for i := range profiles {
		profiles[i].OutputFormat, profiles[i].Language = "json", "en"
	}
	data, err := json.MarshalIndent(struct {
		Current  string       `json:"current"`
		Profiles []cliProfile `json:"profiles"`
		MetaPath string       `json:"meta_path"`
	}{profiles[0].Name, profiles, ""}, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestImportCarriesEveryField: one profile per CLI mode, each with every
// field that mode reads; import maps each to an alirole key or names it as
// not carried over.
func TestImportCarriesEveryField(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	tokenFile := s.path("oidc-token")
	os.WriteFile(tokenFile, []byte("token"), 0o600)
	cliPath := s.path("home/.aliyun/config.json")
	writeCLIConfig(t, cliPath,
		cliProfile{Name: "ak", Mode: "AK", AccessKeyId: aliceKeyID, AccessKeySecret: aliceSecret, RegionId: "cn-hangzhou", EndpointType: "vpc", Verified: "ok"},
		cliProfile{Name: "rra", Mode: "RamRoleArn", AccessKeyId: aliceKeyID, AccessKeySecret: aliceSecret, RamRoleArn: adminArn,
			RoleSessionName: "imported", ExternalId: "ext-1234", StsEndpoint: "sts-vpc.cn-shanghai.aliyuncs.com", ExpiredSeconds: 1800,
			EnableVpc: true, RegionId: "cn-shanghai"},
		cliProfile{Name: "chain", Mode: "ChainableRamRoleArn", SourceProfile: "rra", RamRoleArn: prodArn, RoleSessionName: "chained",
			StsRegion: "cn-beijing", ExpiredSeconds: 2400, ExternalId: "ext-5678", Policy: `{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}`, RegionId: "cn-beijing"},
		cliProfile{Name: "ecs", Mode: "EcsRamRole", RamRoleName: "worker", RegionId: "cn-hangzhou"},
		cliProfile{Name: "ecschain", Mode: "RamRoleArnWithRoleName", RamRoleName: "worker", RamRoleArn: prodArn, RoleSessionName: "from-ecs", StsRegion: "cn-hangzhou", RegionId: "cn-hangzhou"},
		cliProfile{Name: "oidc", Mode: "OIDC", OIDCProviderARN: "acs:ram::1111222233334444:oidc-provider/ci", OIDCTokenFile: tokenFile,
			RamRoleArn: prodArn, RoleSessionName: "ci", StsRegion: "cn-shanghai", ExpiredSeconds: 900, RegionId: "cn-shanghai"},
		cliProfile{Name: "uri", Mode: "CredentialsURI", CredentialsURI: "http://127.0.0.1:9/creds", RegionId: "cn-hangzhou"},
		cliProfile{Name: "ext", Mode: "External", ProcessCommand: "/usr/bin/get-creds --profile x", RegionId: "cn-hangzhou"},
		cliProfile{Name: "temp", Mode: "StsToken", AccessKeyId: "STS.x", AccessKeySecret: "y", StsToken: "z", RegionId: "cn-hangzhou"},
	)
	r := s.ok("import")
	cfg, err := config.Load(s.path("config"))
	if err != nil {
		t.Fatalf("%v\n%s", err, r.stderr)
	}
	get := func(name string) *config.Profile {
		p, err := cfg.Profile(name)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, r.stderr)
		}
		return p
	}
	if p := get("rra"); p.RamRoleArn != adminArn || p.RamSessionName != "imported" || p.ExternalID != "ext-1234" ||
		p.StsEndpoint != "sts-vpc.cn-shanghai.aliyuncs.com" || p.Duration != 30*time.Minute || !p.EnableVPC || p.RegionID != "cn-shanghai" {
		t.Errorf("RamRoleArn: %+v", p)
	}
	if p := get("chain"); p.SourceProfile != "rra" || p.RamSessionName != "chained" || p.StsRegion != "cn-beijing" || p.Duration != 40*time.Minute ||
		p.ExternalID != "ext-5678" || !strings.Contains(p.Policy, "ecs:Describe*") {
		t.Errorf("ChainableRamRoleArn: %+v", p)
	}
	if p := get("ecs"); p.CredentialSource != config.SourceECSRAMRole || p.ECSRoleName != "worker" {
		t.Errorf("EcsRamRole: %+v", p)
	}
	if p := get("ecschain"); p.CredentialSource != config.SourceECSRAMRole || p.ECSRoleName != "worker" || p.RamRoleArn != prodArn || p.StsRegion != "cn-hangzhou" {
		t.Errorf("RamRoleArnWithRoleName: %+v", p)
	}
	if p := get("oidc"); p.CredentialSource != config.SourceOIDC || p.OIDCTokenFile != tokenFile || p.StsRegion != "cn-shanghai" || p.Duration != 15*time.Minute || p.RamSessionName != "ci" {
		t.Errorf("OIDC: %+v", p)
	}
	if p := get("uri"); p.CredentialsURI != "http://127.0.0.1:9/creds" {
		t.Errorf("CredentialsURI: %+v", p)
	}
	if p := get("ext"); p.ProcessCommand != "/usr/bin/get-creds --profile x" {
		t.Errorf("External: %+v", p)
	}
	// Every field left behind is named, with the reason.
	for _, want := range []string{
		"not carried over: endpoint_type (the aliyun CLI's service endpoints",
		"not carried over: output_format (aliyun CLI setting",
		"not carried over: language (aliyun CLI setting",
		"not carried over: verified (aliyun CLI bookkeeping)",
		"skip temp: temporary STS token",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("import report lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, carried := range []string{"sts_endpoint", "sts_region", "expired_seconds", "external_id", "ram_session_name", "region_id", "enable_vpc", "policy"} {
		if strings.Contains(r.stderr, "not carried over: "+carried+" ") {
			t.Errorf("%s reported as not carried over:\n%s", carried, r.stderr)
		}
	}
}

// TestImportThenScrub: import's advice "run again with --scrub" works: the
// re-run scrubs the profiles whose stored key matches, lists by name what
// it cannot remove, and exits 3.
func TestImportThenScrub(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	cliPath := s.path("home/.aliyun/config.json")
	writeCLIConfig(t, cliPath,
		cliProfile{Name: "alice", Mode: "AK", AccessKeyId: aliceKeyID, AccessKeySecret: aliceSecret, RegionId: "cn-hangzhou"},
		cliProfile{Name: "other", Mode: "AK", AccessKeyId: "LTAI5tOtherKey000000001", AccessKeySecret: "OtherSecret0000000000000000001", RegionId: "cn-hangzhou"},
		cliProfile{Name: "temp", Mode: "StsToken", AccessKeyId: "STS.x", AccessKeySecret: "tempsecret", StsToken: "z", RegionId: "cn-hangzhou"},
		cliProfile{Name: "bearer", Mode: "BearerToken", BearerToken: "bearer-secret", RegionId: "cn-hangzhou"},
		cliProfile{Name: "rsa", Mode: "RsaKeyPair", PrivateKey: "/home/u/.ssh/key.pem", KeyPairName: "kp", RegionId: "cn-hangzhou"},
	)
	r := s.ok("import")
	if !strings.Contains(r.stderr, "run again with --scrub") {
		t.Fatalf("first import: %s", r.stderr)
	}
	// Someone stores another key under "other" meanwhile: not scrubbed.
	if r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tReplaced0000000001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=Replaced000000000000000000001"}, "add", "--env", "--force", "other"); r.code != 0 {
		if r = s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tReplaced0000000001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=Replaced000000000000000000001"}, "add", "--env", "other"); r.code != 0 {
			t.Fatal(r)
		}
	}
	r = s.run(nil, "import", "--scrub")
	if r.code != 3 {
		t.Fatalf("re-run with --scrub should exit 3 (secrets remain): %s", r)
	}
	after, _ := os.ReadFile(cliPath)
	if strings.Contains(string(after), aliceSecret) {
		t.Errorf("alice's secret is still in config.json")
	}
	for _, want := range []string{
		"alice: already imported, stored AccessKey matches",
		"other (access_key_id, access_key_secret): alirole's stored AccessKey for other is not the one in config.json",
		"temp (access_key_id, access_key_secret, sts_token): temporary STS token",
		"bearer (bearer_token): BearerToken mode carries no AccessKey credentials",
		"rsa (private_key): RsaKeyPair mode is deprecated and not supported",
		"still hold plaintext secrets",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stderr)
		}
	}
	// The scrubbed profile works through the CLI model.
	m := parseModel(t, s.runClient(withClients(s), "aliyun", "--profile", "alice", "sts", "GetCallerIdentity"))
	if m.Mode != "AK" || !strings.HasSuffix(m.Arn, ":user/alice") {
		t.Errorf("scrubbed alice: %+v", m)
	}
	// Nothing left to scrub among the named profiles: exit 0.
	if r := s.run(nil, "import", "--scrub", "alice"); r.code != 0 {
		t.Errorf("import --scrub alice after scrubbing: %s", r)
	}
}
