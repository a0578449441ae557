// Package identity asks STS who a set of credentials belongs to
// (GetCallerIdentity), through the alibaba-cloud-sdk-go STS client.
package identity

import (
	"errors"
	"fmt"
	"strings"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/internal/scrub"
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
		return Identity{}, fmt.Errorf("get caller identity from %s: %w", endpoint, describe(err, c))
	}
	return Identity{
		AccountID: resp.AccountId, Arn: resp.Arn, IdentityType: resp.IdentityType,
		PrincipalID: resp.PrincipalId, UserID: resp.UserId, RoleID: resp.RoleId,
	}, nil
}

// describe is the one way an SDK error leaves this package. Transport
// errors are *url.Error values holding the signed GetCallerIdentity URL
// (replayable for 15 minutes), so everything goes through scrub; answers
// that are not STS's JSON get a sentence instead of parser internals.
func describe(err error, c creds.Credentials) error {
	secrets := []string{c.AccessKeySecret, c.SecurityToken}
	var se *sdkerrors.ServerError
	var ce *sdkerrors.ClientError
	switch {
	case errors.As(err, &se) && se.ErrorCode() == "":
		return fmt.Errorf("HTTP %d, and the answer is not an STS error document (a proxy or gateway answered?): check the STS endpoint (--sts-endpoint, ALIROLE_STS_ENDPOINT) and try again", se.HttpStatus())
	case errors.As(err, &se):
		code := scrub.Field(se.ErrorCode(), secrets...)
		msg := fmt.Sprintf("%s: %s (request id %s)", code, scrub.Field(se.Message(), secrets...), scrub.Field(se.RequestId(), secrets...))
		if h := hint(se.ErrorCode(), se.HttpStatus()); h != "" {
			msg += "\n  what to do: " + h
		}
		return &Error{Code: code, msg: msg}
	case errors.As(err, &ce) && ce.ErrorCode() == sdkerrors.JsonUnmarshalErrorCode:
		return errors.New("the answer is not the JSON STS sends (a proxy or captive portal answered?): check the STS endpoint (--sts-endpoint, ALIROLE_STS_ENDPOINT)")
	case errors.As(err, &ce) && ce.OriginError() != nil:
		err = ce.OriginError()
	}
	return scrub.Error(err, secrets...)
}

// Error is an error answer of STS to GetCallerIdentity.
type Error struct {
	Code string
	msg  string
}

func (e *Error) Error() string { return e.msg }

// ErrorCode is STS's error code ("InvalidAccessKeyId.NotFound").
func (e *Error) ErrorCode() string { return e.Code }

// hint says what to do about a GetCallerIdentity error.
func hint(code string, status int) string {
	switch {
	case code == "InvalidAccessKeyId.NotFound":
		return "the AccessKey was deleted or mistyped: store a valid one with 'alirole add'"
	case code == "InvalidAccessKeyId.Inactive":
		return "the AccessKey is disabled in RAM: enable it or store another with 'alirole add'"
	case code == "SignatureDoesNotMatch":
		return "the AccessKey secret is wrong: store it again with 'alirole add'"
	case strings.HasPrefix(code, "InvalidSecurityToken") || code == "MissingSecurityToken":
		return "the session is no longer valid: get a new one ('alirole clear PROFILE', then try again)"
	case code == "InvalidTimeStamp.Expired":
		return "this machine's clock is off by more than 15 minutes: fix the system time"
	case strings.HasPrefix(code, "Throttling"):
		return "STS is throttling requests: wait a moment and try again"
	case status >= 500:
		return "STS failed on its side: try again in a minute"
	}
	return ""
}
