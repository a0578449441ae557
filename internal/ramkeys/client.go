package ramkeys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/internal/scrub"
	"github.com/alirole/alirole/keychain"
)

// DefaultEndpoint is RAM's (global) API host.
const DefaultEndpoint = "ram.aliyuncs.com"

// KeyInfo is an AccessKey as RAM lists it.
type KeyInfo struct {
	ID      string
	Status  string
	Created string // as RAM reports it (2006-01-02T15:04:05Z)
}

// RAM is the part of the RAM API that rotation uses. Every call is signed
// with the given key and acts on that key's own user.
type RAM interface {
	CreateAccessKey(ctx context.Context, signer keychain.AccessKey) (keychain.AccessKey, error)
	DeleteAccessKey(ctx context.Context, signer keychain.AccessKey, id string) error
	ListAccessKeys(ctx context.Context, signer keychain.AccessKey) ([]KeyInfo, error)
}

// APIError is an error answer of RAM (or of the gateway in front of it).
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	if e.Code == "" {
		// The SDK puts a non-JSON body (an HTML error page) in Message.
		return fmt.Sprintf("HTTP %d, and the answer is not a RAM error document (a proxy or gateway answered?): check the RAM endpoint (--ram-endpoint, ALIROLE_RAM_ENDPOINT) and try again", e.Status)
	}
	msg := fmt.Sprintf("%s: %s", e.Code, e.Message)
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	if e.Status >= 500 {
		msg += "; RAM failed on its side: try again in a minute"
	}
	return msg
}

// Code returns the RAM error code behind err, "" when there is none (a
// transport error, for instance).
func Code(err error) string {
	var e *APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// SDKClient implements RAM with alibaba-cloud-sdk-go's ram service.
type SDKClient struct {
	// Endpoint is the RAM host[:port]; "" means DefaultEndpoint.
	Endpoint string
	// Timeout bounds connecting and reading each call (default 10 s).
	Timeout time.Duration
	// Scheme is "https" unless set (tests may use "http").
	Scheme string
}

func (c SDKClient) client(signer keychain.AccessKey) (*ram.Client, error) {
	// AutoRetry stays off: CreateAccessKey is not idempotent, so a blind
	// resend could mint a second key.
	cfg := sdk.NewConfig().WithAutoRetry(false)
	client, err := ram.NewClientWithOptions("cn-hangzhou", cfg, credentials.NewAccessKeyCredential(signer.ID, signer.Secret))
	if err != nil {
		return nil, fmt.Errorf("create ram client: %w", err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	client.SetConnectTimeout(timeout)
	client.SetReadTimeout(timeout)
	client.SetTransport(httpguard.Transport(timeout)) // answers capped at httpguard.MaxAnswerBytes
	return client, nil
}

func (c SDKClient) endpoint() string {
	if c.Endpoint == "" {
		return DefaultEndpoint
	}
	return c.Endpoint
}

func (c SDKClient) scheme() string {
	if c.Scheme == "" {
		return "https"
	}
	return c.Scheme
}

// CreateAccessKey implements RAM.
func (c SDKClient) CreateAccessKey(_ context.Context, signer keychain.AccessKey) (keychain.AccessKey, error) {
	client, err := c.client(signer)
	if err != nil {
		return keychain.AccessKey{}, err
	}
	defer client.Shutdown()
	req := ram.CreateCreateAccessKeyRequest()
	req.Domain, req.Scheme = c.endpoint(), c.scheme()
	resp, err := client.CreateAccessKey(req)
	if err != nil {
		return keychain.AccessKey{}, c.wrap("CreateAccessKey", err, signer)
	}
	ak := keychain.AccessKey{ID: resp.AccessKey.AccessKeyId, Secret: resp.AccessKey.AccessKeySecret}
	if ak.ID == "" || ak.Secret == "" {
		return keychain.AccessKey{}, fmt.Errorf("CreateAccessKey at %s: the answer has no AccessKey (request id %s)", c.endpoint(), resp.RequestId)
	}
	return ak, nil
}

// DeleteAccessKey implements RAM.
func (c SDKClient) DeleteAccessKey(_ context.Context, signer keychain.AccessKey, id string) error {
	client, err := c.client(signer)
	if err != nil {
		return err
	}
	defer client.Shutdown()
	req := ram.CreateDeleteAccessKeyRequest()
	req.Domain, req.Scheme = c.endpoint(), c.scheme()
	req.UserAccessKeyId = id
	if _, err := client.DeleteAccessKey(req); err != nil {
		return c.wrap("DeleteAccessKey", err, signer)
	}
	return nil
}

// ListAccessKeys implements RAM.
func (c SDKClient) ListAccessKeys(_ context.Context, signer keychain.AccessKey) ([]KeyInfo, error) {
	client, err := c.client(signer)
	if err != nil {
		return nil, err
	}
	defer client.Shutdown()
	req := ram.CreateListAccessKeysRequest()
	req.Domain, req.Scheme = c.endpoint(), c.scheme()
	resp, err := client.ListAccessKeys(req)
	if err != nil {
		return nil, c.wrap("ListAccessKeys", err, signer)
	}
	out := make([]KeyInfo, 0, len(resp.AccessKeys.AccessKey))
	for _, k := range resp.AccessKeys.AccessKey {
		out = append(out, KeyInfo{ID: k.AccessKeyId, Status: k.Status, Created: k.CreateDate})
	}
	return out, nil
}

// wrap is the one way an SDK error leaves this package: an APIError for an
// answer of RAM, else the transport error. Either way the text goes through
// scrub, because the SDK's transport errors are *url.Error values holding
// the complete signed request URL (replayable within the timestamp window:
// a CreateAccessKey replay mints a key), and server messages may echo
// parameters or carry terminal escapes.
func (c SDKClient) wrap(action string, err error, signer keychain.AccessKey) error {
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return fmt.Errorf("%s at %s: %w", action, c.endpoint(), &APIError{
			Status: se.HttpStatus(), Code: scrub.Field(se.ErrorCode(), signer.Secret), Message: scrub.Field(se.Message(), signer.Secret),
			RequestID: scrub.Field(se.RequestId(), signer.Secret),
		})
	}
	var ce *sdkerrors.ClientError
	if errors.As(err, &ce) && ce.ErrorCode() == sdkerrors.JsonUnmarshalErrorCode {
		return fmt.Errorf("%s at %s: the answer is not the JSON RAM sends (a proxy or captive portal answered?): check the RAM endpoint (--ram-endpoint, ALIROLE_RAM_ENDPOINT)", action, c.endpoint())
	}
	if errors.As(err, &ce) && ce.OriginError() != nil {
		// "[SDK.X] message\ncaused by:\n..." repeats the cause: keep the cause.
		err = ce.OriginError()
	}
	return fmt.Errorf("%s at %s: %w", action, c.endpoint(), scrub.Error(err, signer.Secret))
}
