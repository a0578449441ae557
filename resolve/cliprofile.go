package resolve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// maxCLIConfigBytes bounds the aliyun CLI config read into memory.
const maxCLIConfigBytes = 4 << 20

// cliProfileProvider is credentials-go's CLI profile provider run on a
// private copy of the aliyun CLI's config.json.
//
// credentials-go v1.4.14 providers/cli_profile.go writes credentials back
// into the file it read: getCredentialsProvider gives External profiles
// getExternalCredentialUpdateCallback (updateExternalCredentials stores the
// returned AccessKeySecret and sts_token, mode kept from the original file,
// 0644 when new) and OAuth profiles getOAuthTokenUpdateCallback
// (updateOAuthTokens stores the rotated refresh token and the STS secret).
// newConfigurationFromPath also puts the whole file, secrets included, into
// its error when the JSON does not parse. So alirole parses the file itself
// and hands the provider a 0600 copy in a fresh 0700 directory that is
// removed once the credentials are read: the write-back lands in the copy,
// and the user's config.json stays byte for byte as it was.
//
// OAuth profiles are refused: their refresh token rotates on use, so a
// refresh made on a copy would leave the aliyun CLI with a spent token.
type cliProfileProvider struct {
	// file and profile are as configured ("" = credentials-go's defaults:
	// $ALIBABA_CLOUD_CONFIG_FILE or ~/.aliyun/config.json, and
	// $ALIBABA_CLOUD_PROFILE or the file's current profile).
	file, profile string
	getenv        func(string) string
	// tempParent holds the private copies ("" = os.TempDir()).
	tempParent string
}

func (p *cliProfileProvider) GetProviderName() string { return "cli_profile" }

// path mirrors CLIProfileCredentialsProvider's Build and GetCredentials.
func (p *cliProfileProvider) path() (string, error) {
	if p.file != "" {
		return p.file, nil
	}
	if f := p.getenv("ALIBABA_CLOUD_CONFIG_FILE"); f != "" {
		return f, nil
	}
	// utils.GetHomePath: HOME, else USERPROFILE.
	home := p.getenv("HOME")
	if home == "" {
		home = p.getenv("USERPROFILE")
	}
	if home == "" {
		return "", errors.New("cannot find the aliyun CLI config: HOME is not set (set cli_config_file)")
	}
	return filepath.Join(home, ".aliyun", "config.json"), nil
}

type cliConfig struct {
	Current  string `json:"current"`
	Profiles []struct {
		Name          string `json:"name"`
		Mode          string `json:"mode"`
		SourceProfile string `json:"source_profile"`
	} `json:"profiles"`
}

func (p *cliProfileProvider) GetCredentials() (*providers.Credentials, error) {
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	data, err := readBounded(path, maxCLIConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("read aliyun CLI config: %w", err)
	}
	var conf cliConfig
	if err := json.Unmarshal(data, &conf); err != nil {
		// The json error names an offset, never the content.
		return nil, fmt.Errorf("aliyun CLI config %s is not valid JSON: %v", path, err)
	}
	name := p.profile
	if name == "" {
		name = p.getenv("ALIBABA_CLOUD_PROFILE")
	}
	if name == "" {
		name = conf.Current
	}
	if err := conf.checkNoOAuth(name, path); err != nil {
		return nil, err
	}
	sweepCLICopies(p.tempParent, time.Now())
	dir, err := os.MkdirTemp(p.tempParent, "alirole-cli-")
	if err != nil {
		return nil, fmt.Errorf("private copy of the aliyun CLI config: %w", err)
	}
	defer os.RemoveAll(dir)
	copyPath := filepath.Join(dir, "config.json")
	// A plain write is enough here: the file is new, in a directory only
	// this run uses and removes, so a torn copy loses nothing (atomicfile
	// is for files that hold the only copy of something).
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		return nil, fmt.Errorf("private copy of the aliyun CLI config: %w", err)
	}
	inner, err := providers.NewCLIProfileCredentialsProviderBuilder().WithProfileFile(copyPath).WithProfileName(name).Build()
	if err != nil {
		return nil, err
	}
	cc, err := inner.GetCredentials()
	if err != nil {
		// Errors name the copy; the user knows the original.
		return nil, errors.New(strings.ReplaceAll(err.Error(), copyPath, path))
	}
	return cc, nil
}

// checkNoOAuth refuses a profile whose chain (source_profile of
// ChainableRamRoleArn) starts at an OAuth profile.
func (c *cliConfig) checkNoOAuth(name, path string) error {
	seen := map[string]bool{}
	for cur := name; cur != "" && !seen[cur]; {
		seen[cur] = true
		next := ""
		for _, pr := range c.Profiles {
			if pr.Name != cur {
				continue
			}
			if strings.EqualFold(pr.Mode, "OAuth") {
				return fmt.Errorf("aliyun CLI profile %q in %s signs in with OAuth: credentials-go would rotate its refresh token and write it, with an STS secret, into that file; use the aliyun CLI with this profile directly, or give alirole a source it keeps in the keychain", cur, path)
			}
			if pr.Mode == "ChainableRamRoleArn" {
				next = pr.SourceProfile
			}
		}
		cur = next
	}
	return nil
}

// readBounded reads at most limit bytes of a file, failing beyond.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// sweepCLICopies removes private copies a killed alirole left behind.
func sweepCLICopies(parent string, now time.Time) {
	if parent == "" {
		parent = os.TempDir()
	}
	matches, _ := filepath.Glob(filepath.Join(parent, "alirole-cli-*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.IsDir() && now.Sub(fi.ModTime()) > 10*time.Minute {
			_ = os.RemoveAll(m)
		}
	}
}
