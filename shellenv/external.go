package shellenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alirole/alirole/internal/creds"
)

// Modes of the aliyun CLI's External credential JSON. The CLI loops forever
// on output without a mode, so one is always written.
const (
	externalModeSTS = "StsToken"
	externalModeAK  = "AK"
)

// externalJSON is the document the aliyun CLI and credentials-go's External
// provider parse from the process_command's stdout. Field order is the
// output order.
type externalJSON struct {
	Mode            string `json:"mode"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	STSToken        string `json:"sts_token,omitempty"`
	// Expiration lets credentials-go cache and refresh; the CLI ignores it.
	Expiration string `json:"expiration,omitempty"`
}

// External renders c as one line of aliyun CLI "External" mode JSON followed
// by a newline: mode StsToken (with expiration when known) for STS
// credentials, mode AK for a long-term key.
func External(c creds.Credentials) ([]byte, error) {
	doc := externalJSON{AccessKeyID: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret}
	fields := []Var{{"access key id", c.AccessKeyID}, {"access key secret", c.AccessKeySecret}}
	if c.IsSTS() {
		doc.Mode = externalModeSTS
		doc.STSToken = c.SecurityToken
		doc.Expiration = c.ExpirationString()
		fields = append(fields, Var{"security token", c.SecurityToken})
	} else {
		doc.Mode = externalModeAK
	}
	for _, f := range fields {
		switch {
		case f.Value == "":
			return nil, fmt.Errorf("external credentials: empty %s", f.Name)
		case strings.IndexByte(f.Value, 0) >= 0, !utf8.ValidString(f.Value):
			return nil, fmt.Errorf("external credentials: %s is not valid text", f.Name)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode external credentials: %w", err)
	}
	return buf.Bytes(), nil
}

var errNoKeyInVars = errors.New("no ALIBABA_CLOUD_ACCESS_KEY_ID among the variables")

// credsFromVars recovers credentials from a Vars list, so the external format
// can go through Write like the others.
func credsFromVars(vars []Var) (creds.Credentials, error) {
	var c creds.Credentials
	var exp string
	found := false
	for _, v := range vars {
		switch v.Name {
		case prefixAlibabaCloud + "ACCESS_KEY_ID":
			c.AccessKeyID, found = v.Value, true
		case prefixAlibabaCloud + "ACCESS_KEY_SECRET":
			c.AccessKeySecret = v.Value
		case prefixAlibabaCloud + "SECURITY_TOKEN":
			c.SecurityToken = v.Value
		case EnvSessionExpiration:
			exp = v.Value
		}
	}
	if !found {
		return creds.Credentials{}, fmt.Errorf("external format: %w", errNoKeyInVars)
	}
	if exp != "" {
		t, err := time.Parse(creds.ExpirationLayout, exp)
		if err != nil {
			return creds.Credentials{}, fmt.Errorf("external format: parse %s: %w", EnvSessionExpiration, err)
		}
		c.Expiration = t
	}
	return c, nil
}
