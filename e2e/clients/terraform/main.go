// Command terraform is a model of the Terraform alicloud provider (1.2xx)
// for the tests: it reads exactly the variables and files the provider reads
// to configure itself, in the same precedence, once, as the provider does
// when Terraform starts it; then it "applies": it makes -calls STS
// GetCallerIdentity calls, -interval apart, with what it read, and prints one
// JSON line per call.
//
// Every rule follows aliyun/terraform-provider-alicloud alicloud/provider.go:
// the schema's MultiEnvDefaultFunc lists (Provider, assumeRoleSchema),
// providerConfigure (block › environment › profile, then the credentials
// URI when no key was found, fetched once by getClientByCredentialsURI) and
// getConfigFromProfile (the profile file and which fields count per mode).
//
// Only ALIROLE_MODEL_STS (host:port of the emulator, plain http) is not the
// provider's: it replaces the region's STS endpoint.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
)

// DEFAULT_REGION of the provider.
const defaultRegion = "cn-beijing"

type config struct {
	AccessKey, SecretKey, SecurityToken string
	Region                              string
	Source                              string // "environment", "profile", "credentials_uri"
	URIFetches                          int
	AssumeRoleArn                       string `json:",omitempty"`
	AssumeRoleSessionName               string `json:",omitempty"`
	AssumeRoleExpiration                int    `json:",omitempty"`
}

type call struct {
	Config *config `json:"config,omitempty"`
	Arn    string  `json:"arn,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// multiEnv is schema.MultiEnvDefaultFunc: the first set variable.
func multiEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// fromProfile is getConfigFromProfile: the profile named by the "profile"
// argument (ALICLOUD_PROFILE › ALIBABA_CLOUD_PROFILE) in the
// shared_credentials_file (ALICLOUD_SHARED_CREDENTIALS_FILE ›
// ALIBABA_CLOUD_CREDENTIALS_FILE › $HOME/.aliyun/config.json).
func fromProfile() (map[string]any, error) {
	name := multiEnv("ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE")
	if name == "" {
		return nil, nil
	}
	path := multiEnv("ALICLOUD_SHARED_CREDENTIALS_FILE", "ALIBABA_CLOUD_CREDENTIALS_FILE")
	if path == "" {
		path = filepath.Join(os.Getenv("HOME"), ".aliyun", "config.json")
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		Profiles []map[string]any `json:"profiles"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	for _, p := range doc.Profiles {
		if p["name"] == name {
			return p, nil
		}
	}
	return map[string]any{}, nil
}

// profileValue applies getConfigFromProfile's per-mode rules.
func profileValue(p map[string]any, key string) string {
	mode, _ := p["mode"].(string)
	if mode == "" {
		return ""
	}
	if key != "region_id" && mode == "ChainableRamRoleArn" {
		return ""
	}
	switch key {
	case "access_key_id", "access_key_secret":
		if mode == "EcsRamRole" {
			return ""
		}
	case "sts_token":
		if mode != "StsToken" {
			return ""
		}
	case "ram_role_arn", "ram_session_name":
		if mode != "RamRoleArn" {
			return ""
		}
	}
	s, _ := p[key].(string)
	return s
}

func configure(assumeRoleBlock bool) (*config, error) {
	prof, err := fromProfile()
	if err != nil {
		return nil, err
	}
	// getProviderConfig: the argument (block or its environment default),
	// else the profile.
	get := func(profileKey string, env ...string) string {
		if v := multiEnv(env...); v != "" {
			return v
		}
		return profileValue(prof, profileKey)
	}
	c := &config{Source: "environment"}
	c.AccessKey = get("access_key_id", "ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_ID")
	c.SecretKey = get("access_key_secret", "ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_ACCESS_KEY_SECRET")
	c.SecurityToken = get("sts_token", "ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABACLOUD_SECURITY_TOKEN")
	c.Region = get("region_id", "ALICLOUD_REGION", "ALIBABA_CLOUD_REGION")
	if c.Region == "" {
		c.Region = defaultRegion
	}
	if multiEnv("ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_ID") == "" && c.AccessKey != "" {
		c.Source = "profile"
	}
	// The credentials URI only when no key was found, fetched once.
	if c.AccessKey == "" || c.SecretKey == "" {
		if uri := multiEnv("ALICLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_CREDENTIALS_URI"); uri != "" {
			c.Source = "credentials_uri"
			c.URIFetches++
			if err := fetchURI(uri, c); err != nil {
				return nil, err
			}
		}
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return nil, errors.New("configuring Terraform Alibaba Cloud Provider: no valid credential sources for Terraform Alibaba Cloud Provider found")
	}
	// A RamRoleArn profile adds its role; an assume_role {} block takes
	// role_arn from ALICLOUD_ASSUME_ROLE_ARN › ALIBABA_CLOUD_ROLE_ARN and so on.
	c.AssumeRoleArn = profileValue(prof, "ram_role_arn")
	c.AssumeRoleSessionName = profileValue(prof, "ram_session_name")
	if assumeRoleBlock {
		if v := multiEnv("ALICLOUD_ASSUME_ROLE_ARN", "ALIBABA_CLOUD_ROLE_ARN"); v != "" {
			c.AssumeRoleArn = v
		}
		if v := multiEnv("ALICLOUD_ASSUME_ROLE_SESSION_NAME", "ALIBABA_CLOUD_ROLE_SESSION_NAME"); v != "" {
			c.AssumeRoleSessionName = v
		}
		if c.AssumeRoleSessionName == "" {
			c.AssumeRoleSessionName = "terraform"
		}
		c.AssumeRoleExpiration = 3600
		if v, err := strconv.Atoi(os.Getenv("ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION")); err == nil && v != 0 {
			c.AssumeRoleExpiration = v
		}
	}
	return c, nil
}

// fetchURI is getClientByCredentialsURI.
func fetchURI(uri string, c *config) error {
	res, err := http.Get(uri)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("get Credentials from %s failed, status code %d", uri, res.StatusCode)
	}
	var r struct{ Code, AccessKeyId, AccessKeySecret, SecurityToken, Expiration string }
	if err := json.Unmarshal(body, &r); err != nil {
		return errors.New("unmarshal credentials failed")
	}
	if r.Code != "Success" {
		return errors.New("fetching sts token got an error and its Code is not Success")
	}
	c.AccessKey, c.SecretKey, c.SecurityToken = r.AccessKeyId, r.AccessKeySecret, r.SecurityToken
	return nil
}

func main() {
	calls := flag.Int("calls", 1, "API calls the apply makes")
	interval := flag.Duration("interval", 0, "pause between calls")
	block := flag.Bool("assume-role-block", false, "the provider block has an empty assume_role {}")
	flag.Parse()
	enc := json.NewEncoder(os.Stdout)
	c, err := configure(*block)
	if err != nil {
		enc.Encode(call{Error: err.Error()})
		os.Exit(1)
	}
	enc.Encode(call{Config: c})
	if c.AssumeRoleArn != "" {
		// The provider would now assume that role with the credentials
		// above; the model stops here so a test sees which role it was.
		enc.Encode(call{Error: "not modelled: assume_role " + c.AssumeRoleArn})
		os.Exit(1)
	}
	failed := false
	for i := 0; i < *calls; i++ {
		if i > 0 {
			time.Sleep(*interval)
		}
		var out call
		client, err := sts.NewClientWithStsToken(c.Region, c.AccessKey, c.SecretKey, c.SecurityToken)
		if c.SecurityToken == "" {
			client, err = sts.NewClientWithAccessKey(c.Region, c.AccessKey, c.SecretKey)
		}
		if err == nil {
			req := sts.CreateGetCallerIdentityRequest()
			req.Domain, req.Scheme = os.Getenv("ALIROLE_MODEL_STS"), requests.HTTP
			var resp *sts.GetCallerIdentityResponse
			if resp, err = client.GetCallerIdentity(req); err == nil {
				out.Arn = resp.Arn
			}
		}
		if err != nil {
			out.Error, failed = err.Error(), true
		}
		enc.Encode(out)
	}
	if failed {
		os.Exit(1)
	}
}
