// Package identity asks STS who a set of credentials belongs to
// (GetCallerIdentity), through the alibaba-cloud-sdk-go STS client.
package identity

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/httpguard"
)

// Identity is STS's answer about the caller.
type Identity struct {
	AccountID    string
	Arn          string
	IdentityType string
	PrincipalID  string
	UserID       string
	RoleID       string
}

// Endpoint picks the STS host: an explicit one, else the regional one,
// else the global one.
func Endpoint(explicit, region string) string {
	switch {
	case explicit != "":
		return explicit
	case region != "":
		return "sts." + region + ".aliyuncs.com"
	}
	return "sts.aliyuncs.com"
}

// Get calls GetCallerIdentity over https at endpoint with c.
func Get(c creds.Credentials, endpoint string, timeout time.Duration) (Identity, error) {
	var (
		client *sts.Client
		err    error
	)
	const region = "cn-hangzhou" // only used by the SDK to pick an endpoint we override
	if c.IsSTS() {
		client, err = sts.NewClientWithStsToken(region, c.AccessKeyID, c.AccessKeySecret, c.SecurityToken)
	} else {
		client, err = sts.NewClientWithAccessKey(region, c.AccessKeyID, c.AccessKeySecret)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("create sts client: %w", err)
	}
	if timeout > 0 {
		client.SetConnectTimeout(timeout)
		client.SetReadTimeout(timeout)
	}
	client.SetTransport(httpguard.Transport(10 * time.Second)) // answers capped at httpguard.MaxAnswerBytes
	req := sts.CreateGetCallerIdentityRequest()
	req.Domain = endpoint
	req.Scheme = "https"
	resp, err := client.GetCallerIdentity(req)
	if err != nil {
		return Identity{}, fmt.Errorf("get caller identity from %s: %s", endpoint, describe(err, c))
	}
	return Identity{
		AccountID: resp.AccountId, Arn: resp.Arn, IdentityType: resp.IdentityType,
		PrincipalID: resp.PrincipalId, UserID: resp.UserId, RoleID: resp.RoleId,
	}, nil
}

// describe makes an SDK error presentable: transport errors carry the signed
// request URL (with the security token), so only their cause is kept, and
// any secret left in the text is blanked.
func describe(err error, c creds.Credentials) string {
	var msg string
	var se *sdkerrors.ServerError
	var ce *sdkerrors.ClientError
	switch {
	case errors.As(err, &se):
		msg = fmt.Sprintf("%s: %s (request id %s)", se.ErrorCode(), se.Message(), se.RequestId())
	case errors.As(err, &ce):
		msg = ce.Message()
		var ue *url.Error
		if errors.As(ce.OriginError(), &ue) {
			msg = ue.Err.Error()
		}
	default:
		msg = err.Error()
	}
	for _, secret := range []string{c.AccessKeySecret, c.SecurityToken} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "<redacted>")
		}
	}
	return msg
}
