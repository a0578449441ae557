package aliyuncli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Profile is the subset of an aliyun CLI profile alirole needs. The JSON
// names are the ones the aliyun CLI and credentials-go v1.4.14 use.
type Profile struct {
	Name            string `json:"name"`
	Mode            string `json:"mode"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	StsToken        string `json:"sts_token"`
	RamRoleArn      string `json:"ram_role_arn"`
	RamSessionName  string `json:"ram_session_name"`
	SourceProfile   string `json:"source_profile"`
	ExternalID      string `json:"external_id"`
	RegionID        string `json:"region_id"`
	StsRegion       string `json:"sts_region"`
	ProcessCommand  string `json:"process_command"`
	CredentialsURI  string `json:"credentials_uri"`
	OIDCProviderArn string `json:"oidc_provider_arn"`
	OIDCTokenFile   string `json:"oidc_token_file"`
	RamRoleName     string `json:"ram_role_name"`
	ExpiredSeconds  int    `json:"expired_seconds"`
	// StsEndpoint is not in the aliyun CLI's struct (its STS host comes
	// from sts_region, config/profile.go getSTSEndpoint) but other tools
	// write it; EnableVpc and Policy are credentials-go's
	// (providers/cli_profile.go profile).
	StsEndpoint string   `json:"sts_endpoint"`
	EnableVpc   FlexBool `json:"enable_vpc"`
	Policy      string   `json:"policy"`

	// CloudSSO mode (aliyun-cli config/profile.go): the SSO access token is
	// kept in the generic access_token field.
	CloudSSOSignInURL         string   `json:"cloud_sso_sign_in_url"`
	CloudSSOAccountID         string   `json:"cloud_sso_account_id"`
	CloudSSOAccessConfig      string   `json:"cloud_sso_access_config"`
	AccessToken               string   `json:"access_token"`
	CloudSSOAccessTokenExpire UnixTime `json:"cloud_sso_access_token_expire"`
	// OAuth mode.
	OAuthSiteType          string   `json:"oauth_site_type"`
	OAuthAccessToken       string   `json:"oauth_access_token"`
	OAuthRefreshToken      string   `json:"oauth_refresh_token"`
	OAuthAccessTokenExpire UnixTime `json:"oauth_access_token_expire"`
}

// FlexBool decodes a JSON boolean, or a string such as "true", so that one
// hand-edited value does not make the whole file unreadable.
type FlexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *FlexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case bool:
		*b = FlexBool(x)
	case string:
		*b = FlexBool(strings.EqualFold(x, "true"))
	default:
		*b = false
	}
	return nil
}

// UnixTime is a unix time field. It reads a JSON number or a numeric
// string, and an unusable value as 0 (unknown) instead of failing the
// whole file: only import looks at it.
type UnixTime int64

// UnmarshalJSON implements json.Unmarshaler.
func (u *UnixTime) UnmarshalJSON(b []byte) error {
	v := strings.Trim(strings.TrimSpace(string(b)), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil {
			n = int64(f)
		}
	}
	*u = UnixTime(n)
	return nil
}

// String names the profile without its secrets, so a stray %v in a log line
// cannot leak an AccessKey secret or token.
func (p Profile) String() string {
	return fmt.Sprintf("aliyun CLI profile %q (mode %s)", p.Name, p.Mode)
}

// GoString keeps %#v as safe as %v.
func (p Profile) GoString() string { return p.String() }

// ConfigFileEnv is the variable credentials-go reads to locate config.json.
// The aliyun CLI itself ignores it.
const ConfigFileEnv = "ALIBABA_CLOUD_CONFIG_FILE"

// DefaultPath returns $ALIBABA_CLOUD_CONFIG_FILE when set, else
// <home>/.aliyun/config.json (the aliyun CLI's fixed location).
func DefaultPath(getenv func(string) string, home string) (string, error) {
	if p := getenv(ConfigFileEnv); p != "" {
		return p, nil
	}
	if home == "" {
		return "", errors.New("locate aliyun CLI config: home directory unknown")
	}
	return filepath.Join(home, ".aliyun", "config.json"), nil
}
