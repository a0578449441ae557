package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	r := s.ok("import", "--scrub")
	if !strings.Contains(r.stderr, "skip temp") || !strings.Contains(r.stderr, "WITH its plaintext secrets") {
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
