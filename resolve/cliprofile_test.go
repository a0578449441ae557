package resolve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func cliProvider(t *testing.T, config string) (*cliProfileProvider, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliProfileProvider{file: path, getenv: func(string) string { return "" }, tempParent: dir}, dir
}

func TestCLIProfileRefusesOAuthChains(t *testing.T) {
	p, _ := cliProvider(t, `{"current":"role","profiles":[
		{"name":"sso","mode":"OAuth","oauth_refresh_token":"rt","oauth_site_type":"CN"},
		{"name":"role","mode":"ChainableRamRoleArn","source_profile":"sso","ram_role_arn":"acs:ram::1:role/r"}]}`)
	_, err := p.GetCredentials()
	if err == nil || !strings.Contains(err.Error(), `"sso"`) || !strings.Contains(err.Error(), "OAuth") {
		t.Fatalf("want a refusal naming the OAuth profile, got %v", err)
	}
}

func TestCLIProfileBadJSONKeepsSecretsOut(t *testing.T) {
	// credentials-go's newConfigurationFromPath quotes the whole file.
	p, dir := cliProvider(t, `{"current":"a","profiles":[{"name":"a","mode":"AK","access_key_id":"LTAI","access_key_secret":"TopSecretValue123"}`)
	_, err := p.GetCredentials()
	if err == nil || strings.Contains(err.Error(), "TopSecretValue123") || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("error %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "alirole-cli-*")); len(left) != 0 {
		t.Fatalf("copies left: %v", left)
	}
}

func TestCLIProfileCopyIsRemoved(t *testing.T) {
	p, dir := cliProvider(t, `{"current":"a","profiles":[{"name":"a","mode":"AK","access_key_id":"LTAI","access_key_secret":"s3cr3tvalue"}]}`)
	cc, err := p.GetCredentials()
	if err != nil || cc.AccessKeySecret != "s3cr3tvalue" {
		t.Fatalf("%v %v", cc, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "alirole-cli-*")); len(left) != 0 {
		t.Fatalf("copies left: %v", left)
	}
}

// TestSweepCLICopies: a copy a killed alirole left behind goes with the
// next run; a copy another running alirole is using stays.
func TestSweepCLICopies(t *testing.T) {
	dir := t.TempDir()
	stale, fresh := filepath.Join(dir, "alirole-cli-1"), filepath.Join(dir, "alirole-cli-2")
	for _, d := range []string{stale, fresh} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "config.json"), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	sweepCLICopies(dir, time.Now())
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale copy kept (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh copy removed: %v", err)
	}
}
