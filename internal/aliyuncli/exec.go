package aliyuncli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// How `alirole exec` hands credentials to the aliyun CLI, decided from the
// CLI's source (aliyun/aliyun-cli 3.4.x):
//
//   - config/configuration.go LoadProfileWithContext: with
//     ALIBABA_CLOUD_IGNORE_PROFILE=TRUE the CLI builds a profile with
//     RegionId "cn-hangzhou" already set, so OverwriteWithFlags
//     (config/profile.go) never reads ALIBABA_CLOUD_REGION_ID: only --region
//     changes it. And AutoModeRecognition has no mode for
//     ALIBABA_CLOUD_CREDENTIALS_URI, so a credentials URI in the environment
//     alone gives "profile default is not configure yet".
//   - Without IGNORE_PROFILE it loads the file named by --config-path (no
//     variable names it; getConfigurePath), else ~/.aliyun/config.json, and
//     the profile named by --profile, else ALIBABACLOUD_PROFILE ›
//     ALIBABA_CLOUD_PROFILE › ALICLOUD_PROFILE (getProfileName), else
//     "current". OverwriteWithFlags then fills every empty field from the
//     environment (AccessKeyId from ALIBABA_CLOUD_ACCESS_KEY_ID, …) and
//     --region wins over the profile's region_id.
//
// So exec gives the CLI a private config file (--config-path) holding one
// profile with the mode and the region but no secret: the keys still come
// from the environment (mode AK/StsToken), or the CLI fetches them from the
// credentials server on start (mode CredentialsURI: GetCredential's
// CredentialsURI case does an http.Get and requires Code "Success").

// ExecProfile is the profile of such a file.
type ExecProfile struct {
	Name   string
	Region string
	// STS selects mode StsToken (the token comes from the environment)
	// rather than AK; ignored when CredentialsURI is set.
	STS bool
	// CredentialsURI selects mode CredentialsURI.
	CredentialsURI string
}

// DefaultExecRegion is the region the CLI itself falls back to under
// IGNORE_PROFILE (LoadProfileWithContext); exec uses it when the alirole
// profile has none, so handing over a config file changes nothing there.
const DefaultExecRegion = "cn-hangzhou"

// ExecConfig renders the config.json for p in the CLI's own layout
// (SaveConfiguration: json.MarshalIndent with a tab).
func ExecConfig(p ExecProfile) ([]byte, error) {
	if p.Name == "" {
		return nil, errors.New("aliyun CLI profile name is empty")
	}
	region := p.Region
	if region == "" {
		region = DefaultExecRegion
	}
	type profile struct {
		Name           string `json:"name"`
		Mode           string `json:"mode"`
		RegionID       string `json:"region_id"`
		CredentialsURI string `json:"credentials_uri,omitempty"`
		OutputFormat   string `json:"output_format"`
	}
	prof := profile{Name: p.Name, Mode: "AK", RegionID: region, OutputFormat: "json"}
	switch {
	case p.CredentialsURI != "":
		prof.Mode, prof.CredentialsURI = "CredentialsURI", p.CredentialsURI
	case p.STS:
		prof.Mode = "StsToken"
	}
	doc := struct {
		Current  string    `json:"current"`
		Profiles []profile `json:"profiles"`
		MetaPath string    `json:"meta_path"`
	}{p.Name, []profile{prof}, ""}
	out, err := json.MarshalIndent(doc, "", "\t")
	if err != nil {
		return nil, fmt.Errorf("encode aliyun CLI config: %w", err)
	}
	return append(out, '\n'), nil
}

// IsCLI reports whether argv0 runs the aliyun CLI (by its file name).
func IsCLI(argv0 string) bool {
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(argv0, `\`, "/")))
	return strings.TrimSuffix(base, ".exe") == "aliyun"
}

// ChoosesProfile reports whether the CLI arguments already pick a config
// file or a profile (--config-path, --profile, -p): exec then leaves the
// command line alone, since its own profile would not be in that file.
func ChoosesProfile(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "--config-path", "--profile", "-p":
			return true
		}
	}
	return false
}

// ManagesCLI reports whether args run one of the CLI's own commands that
// read or write its configuration directory (configure, plugin): with a
// temporary --config-path they would act on the temporary file, which is
// removed afterwards (config/configuration.go SaveConfigurationWithContext,
// GetConfigDir), so exec leaves such command lines alone. Only the first
// argument is looked at: which CLI flags take a value is not knowable here,
// and these commands come first in practice.
func ManagesCLI(args []string) bool {
	return len(args) > 0 && (args[0] == "configure" || args[0] == "plugin")
}

// WriteExecConfig writes data as config.json in a new private directory
// (0700, file 0600) under dir (os.TempDir when ""), and returns the file's
// path and a function that removes the directory.
func WriteExecConfig(dir string, data []byte) (path string, remove func(), err error) {
	d, err := os.MkdirTemp(dir, "alirole-aliyun-")
	if err != nil {
		return "", nil, fmt.Errorf("aliyun CLI config for exec: %w", err)
	}
	remove = func() { os.RemoveAll(d) }
	if err := os.Chmod(d, 0o700); err != nil {
		remove()
		return "", nil, fmt.Errorf("aliyun CLI config for exec: %w", err)
	}
	path = filepath.Join(d, "config.json")
	// A plain write is enough: a new file in a private directory that is
	// removed after the run holds no only copy of anything (atomicfile is
	// for the user's files).
	if err := os.WriteFile(path, data, 0o600); err != nil {
		remove()
		return "", nil, fmt.Errorf("aliyun CLI config for exec: %w", err)
	}
	return path, remove, nil
}
