// Command aliyun is a model of the aliyun CLI 3.4.x for the tests: it reads
// exactly the flags, variables and files the real CLI reads to find its
// credentials and region, in the same precedence, then signs one STS
// GetCallerIdentity with them and prints what it used as one JSON line.
//
// The project cannot build the real CLI in CI, so every rule here follows a
// function of aliyun/aliyun-cli, named in the comment next to it:
// config/configuration.go (LoadProfileWithContext, LoadProfile,
// getConfigurePath, getProfileName, LoadOrCreateConfiguration) and
// config/profile.go (OverwriteWithFlags, AutoModeRecognition, Validate,
// GetCredential). Modes the tests do not need (RamRoleArn, OIDC, CloudSSO,
// …) are recognised as the CLI does and then refused with "not modelled".
//
// Only ALIROLE_MODEL_STS (host:port of the emulator, plain http) is not a
// variable of the real CLI: it replaces the region's public STS endpoint.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
)

// profile holds the fields of the CLI's Profile struct (config/profile.go)
// that credentials and region depend on, with the same JSON names.
type profile struct {
	Name            string `json:"name"`
	Mode            string `json:"mode"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	StsToken        string `json:"sts_token"`
	RamRoleArn      string `json:"ram_role_arn"`
	RamRoleName     string `json:"ram_role_name"`
	ExternalID      string `json:"external_id"`
	RegionID        string `json:"region_id"`
	ProcessCommand  string `json:"process_command"`
	CredentialsURI  string `json:"credentials_uri"`
	OIDCProviderARN string `json:"oidc_provider_arn"`
	OIDCTokenFile   string `json:"oidc_token_file"`
	SignInURL       string `json:"cloud_sso_sign_in_url"`
	BearerToken     string `json:"bearer_token"`
	PrivateKey      string `json:"private_key"`
	KeyPairName     string `json:"key_pair_name"`
}

type configuration struct {
	Current  string    `json:"current"`
	Profiles []profile `json:"profiles"`
}

// report is what the model prints.
type report struct {
	ConfigPath  string `json:"config_path,omitempty"`
	Profile     string `json:"profile"`
	Mode        string `json:"mode"`
	Region      string `json:"region"`
	AccessKeyID string `json:"access_key_id"`
	Arn         string `json:"arn,omitempty"`
	// URIFetches counts credentials URI requests in this run.
	URIFetches int `json:"uri_fetches"`
}

type flags struct {
	profile, configPath, region string
	profileSet, configSet       bool
	regionSet                   bool
	rest                        []string
}

func parseFlags(args []string) (flags, error) {
	var f flags
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, inline := strings.Cut(a, "=")
		take := func() (string, error) {
			if inline {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "--profile", "-p":
			// AssignedOnce flags (config/flags.go): a second one is an error.
			if f.profileSet {
				return f, fmt.Errorf("flag --profile assigned more than once")
			}
			f.profile, err = take()
			f.profileSet = true
		case "--config-path":
			if f.configSet {
				return f, fmt.Errorf("flag --config-path assigned more than once")
			}
			f.configPath, err = take()
			f.configSet = true
		case "--region":
			if f.regionSet {
				return f, fmt.Errorf("flag --region assigned more than once")
			}
			f.region, err = take()
			f.regionSet = true
		default:
			f.rest = append(f.rest, a)
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

// getFromEnv is util.GetFromEnv: the first non-empty variable of names.
func getFromEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// loadProfile is LoadProfileWithContext.
func loadProfile(f flags) (profile, *configuration, string, error) {
	if getFromEnv("ALIBABA_CLOUD_IGNORE_PROFILE", "ALIBABACLOUD_IGNORE_PROFILE") == "TRUE" {
		// NewProfile("default") with RegionId preset to cn-hangzhou.
		return profile{Name: "default", RegionID: "cn-hangzhou"}, nil, "", nil
	}
	if strings.EqualFold(getFromEnv("ALIBABA_CLOUD_PROFILE_MODE"), "Anonymous") {
		return profile{}, nil, "", errors.New("not modelled: Anonymous mode (no credentials)")
	}
	// getConfigurePath: --config-path, else $HOME/.aliyun/config.json.
	path := f.configPath
	if !f.configSet {
		path = filepath.Join(os.Getenv("HOME"), ".aliyun", "config.json")
	}
	// getProfileName: --profile, else the profile variables.
	name := f.profile
	if !f.profileSet {
		name = getFromEnv("ALIBABACLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE")
	}
	// LoadOrCreateConfiguration: a missing file is a new configuration
	// with one empty "default" profile.
	conf := &configuration{Current: "default", Profiles: []profile{{Name: "default"}}}
	if data, err := os.ReadFile(path); err == nil {
		conf = &configuration{Current: "default", Profiles: []profile{{Name: "default"}}}
		if err := json.Unmarshal(data, conf); err != nil {
			return profile{}, nil, path, fmt.Errorf("init config failed %v", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return profile{}, nil, path, fmt.Errorf("init config failed reading config from '%s' failed %v", path, err)
	}
	// LoadProfile: "" means the current profile; unknown names fail.
	if name == "" {
		name = conf.Current
	}
	for _, p := range conf.Profiles {
		if p.Name == name {
			return p, conf, path, nil
		}
	}
	return profile{}, nil, path, fmt.Errorf("unknown profile %s, run configure to check", name)
}

// overwriteWithFlags is OverwriteWithFlags: flags first, then every empty
// field from the environment, then AutoModeRecognition.
func overwriteWithFlags(p *profile, f flags) {
	if f.regionSet {
		p.RegionID = f.region
	}
	fill := func(field *string, names ...string) {
		if *field == "" {
			*field = getFromEnv(names...)
		}
	}
	fill(&p.AccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY_ID", "ACCESS_KEY_ID")
	fill(&p.AccessKeySecret, "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY_SECRET", "ACCESS_KEY_SECRET")
	fill(&p.StsToken, "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABACLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN", "SECURITY_TOKEN")
	fill(&p.RegionID, "ALIBABA_CLOUD_REGION_ID", "ALIBABACLOUD_REGION_ID", "ALICLOUD_REGION_ID", "REGION_ID", "REGION")
	fill(&p.CredentialsURI, "ALIBABA_CLOUD_CREDENTIALS_URI")
	fill(&p.BearerToken, "ALIBABA_CLOUD_BEARER_TOKEN")
	fill(&p.OIDCProviderARN, "ALIBABACLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
	fill(&p.OIDCTokenFile, "ALIBABACLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_OIDC_TOKEN_FILE")
	fill(&p.RamRoleArn, "ALIBABACLOUD_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN")
	fill(&p.ExternalID, "ALIBABACLOUD_EXTERNAL_ID", "ALIBABA_CLOUD_EXTERNAL_ID")
	autoModeRecognition(p)
}

// autoModeRecognition is AutoModeRecognition: note that no branch looks at
// CredentialsURI.
func autoModeRecognition(p *profile) {
	if p.Mode != "" {
		return
	}
	switch {
	case p.AccessKeyID != "" && p.AccessKeySecret != "":
		p.Mode = "AK"
		if p.StsToken != "" {
			p.Mode = "StsToken"
		} else if p.RamRoleArn != "" {
			p.Mode = "RamRoleArn"
		}
	case p.PrivateKey != "" && p.KeyPairName != "":
		p.Mode = "RsaKeyPair"
	case p.RamRoleName != "":
		p.Mode = "EcsRamRole"
	case p.ProcessCommand != "":
		p.Mode = "External"
	case p.OIDCProviderARN != "" && p.OIDCTokenFile != "" && p.RamRoleArn != "":
		p.Mode = "OIDC"
	case p.SignInURL != "":
		p.Mode = "CloudSSO"
	case p.BearerToken != "":
		p.Mode = "BearerToken"
	}
}

// validate is the part of Validate the modelled modes reach.
func validate(p profile) error {
	if p.RegionID == "" {
		return errors.New("region can't be empty")
	}
	if p.Mode == "" {
		return fmt.Errorf("profile %s is not configure yet, run `aliyun configure --profile %s` first", p.Name, p.Name)
	}
	switch p.Mode {
	case "AK", "StsToken":
		if p.AccessKeyID == "" || p.AccessKeySecret == "" {
			return fmt.Errorf("access_key_id is not configured for profile '%s'", p.Name)
		}
		if p.Mode == "StsToken" && p.StsToken == "" {
			return fmt.Errorf("sts_token is not configured for profile '%s'", p.Name)
		}
	case "External":
		if p.ProcessCommand == "" {
			return fmt.Errorf("process_command is not configured for profile '%s'", p.Name)
		}
	case "CredentialsURI":
		if p.CredentialsURI == "" {
			return fmt.Errorf("credentials_uri is not configured for profile '%s'", p.Name)
		}
	}
	return nil
}

// getCredential is GetCredential for AK, StsToken, External and
// CredentialsURI. External recurses after decoding the command's output
// into the same profile, as the CLI does; the CLI then loops forever on
// output without a "mode" (the profile stays External), which the model
// stops after a few rounds.
func getCredential(p *profile, rep *report, depth int) (id, secret, token string, err error) {
	switch p.Mode {
	case "AK":
		return p.AccessKeyID, p.AccessKeySecret, "", nil
	case "StsToken":
		return p.AccessKeyID, p.AccessKeySecret, p.StsToken, nil
	case "External":
		if depth > 3 {
			return "", "", "", errors.New("External output without a mode: the real CLI runs the command again forever")
		}
		args, err := splitCommand(p.ProcessCommand)
		if err != nil {
			return "", "", "", err
		}
		cmd := exec.Command(args[0], args[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, os.Stderr, os.Stdin
		if err := cmd.Run(); err != nil {
			return "", "", "", err
		}
		if err := json.Unmarshal(out.Bytes(), p); err != nil {
			return "", "", "", err
		}
		rep.Mode = p.Mode
		return getCredential(p, rep, depth+1)
	case "CredentialsURI":
		uri := p.CredentialsURI
		if uri == "" {
			uri = os.Getenv("ALIBABA_CLOUD_CREDENTIALS_URI")
		}
		rep.URIFetches++
		res, err := http.Get(uri)
		if err != nil {
			return "", "", "", err
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		if err != nil {
			return "", "", "", err
		}
		if res.StatusCode != 200 {
			return "", "", "", fmt.Errorf("get credentials from %s failed, status code %d", uri, res.StatusCode)
		}
		var r struct{ Code, AccessKeyId, AccessKeySecret, SecurityToken, Expiration string }
		if err := json.Unmarshal(body, &r); err != nil {
			return "", "", "", fmt.Errorf("unmarshal credentials failed")
		}
		if r.Code != "Success" {
			return "", "", "", errors.New("get sts token err, Code is not Success")
		}
		return r.AccessKeyId, r.AccessKeySecret, r.SecurityToken, nil
	default:
		return "", "", "", fmt.Errorf("not modelled: mode %s", p.Mode)
	}
}

// splitCommand is config/command_split.go splitProcessCommandForOS on Unix
// (3.4.9+): POSIX-like; outside quotes a backslash escapes the next rune,
// inside double quotes only before " \ $ ` and newline, single quotes are
// literal; a quoted empty argument is kept.
func splitCommand(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	var args []string
	var cur strings.Builder
	has, inSingle, inDouble := false, false, false
	flush := func() {
		if has {
			args = append(args, cur.String())
			cur.Reset()
			has = false
		}
	}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case inSingle:
			if r == '\'' {
				inSingle = false
			} else {
				cur.WriteRune(r)
			}
		case inDouble:
			if r == '"' {
				inDouble = false
			} else if r == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`\n", rs[i+1]) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, errors.New("invalid process_command: trailing backslash")
			}
			i++
			cur.WriteRune(rs[i])
			has = true
		case r == '\'':
			inSingle, has = true, true
		case r == '"':
			inDouble, has = true, true
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if inSingle || inDouble {
		return nil, errors.New("invalid process_command: unclosed quote")
	}
	flush()
	if len(args) == 0 || args[0] == "" {
		return nil, errors.New("process_command is empty")
	}
	return args, nil
}

func run() error {
	f, err := parseFlags(os.Args[1:])
	if err != nil {
		return err
	}
	p, _, path, err := loadProfile(f)
	if err != nil {
		return err
	}
	// Commando.main: DetectInConfigureMode is true unless --mode is given,
	// so OverwriteWithFlags runs; then Validate.
	overwriteWithFlags(&p, f)
	if err := validate(p); err != nil {
		return err
	}
	rep := report{ConfigPath: path, Profile: p.Name, Mode: p.Mode, Region: p.RegionID}
	id, secret, token, err := getCredential(&p, &rep, 0)
	if err != nil {
		return err
	}
	rep.AccessKeyID = id
	if ep := os.Getenv("ALIROLE_MODEL_STS"); ep != "" {
		client, err := sts.NewClientWithStsToken(rep.Region, id, secret, token)
		if token == "" {
			client, err = sts.NewClientWithAccessKey(rep.Region, id, secret)
		}
		if err != nil {
			return err
		}
		req := sts.CreateGetCallerIdentityRequest()
		req.Domain, req.Scheme = ep, requests.HTTP
		resp, err := client.GetCallerIdentity(req)
		if err != nil {
			return err
		}
		rep.Arn = resp.Arn
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(1)
	}
}
