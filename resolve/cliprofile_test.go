package resolve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
