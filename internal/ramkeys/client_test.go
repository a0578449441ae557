package ramkeys

import (
	"errors"
	"net/url"
	"strings"
	"syscall"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/alirole/alirole/keychain"
)

// TestWrapHidesSignedRequests: the SDK's transport errors are *url.Error
// values holding the signed CreateAccessKey URL (a replay mints a key).
func TestWrapHidesSignedRequests(t *testing.T) {
	signer := keychain.AccessKey{ID: "LTAI5tKey", Secret: "Secret/with+odd=chars"}
	signed := "https://ram.aliyuncs.com/?AccessKeyId=LTAI5tKey&Action=CreateAccessKey&Signature=c2lnbmF0dXJl%3D&SignatureNonce=n"
	c := SDKClient{Endpoint: "ram.example"}
	for _, tc := range []struct {
		name string
		in   error
		want string
	}{
		{"transport", &url.Error{Op: "Post", URL: signed, Err: syscall.ECONNREFUSED}, `CreateAccessKey at ram.example: Post "https://ram.aliyuncs.com/": connection refused`},
		{"html page", sdkerrors.NewServerError(502, "<html>"+signed+"</html>", ""), "HTTP 502, and the answer is not a RAM error document"},
		{"html 200", sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, sdkerrors.JsonUnmarshalErrorMessage, errors.New("invalid character '<'")), "not the JSON RAM sends"},
		{"500", sdkerrors.NewServerError(500, `{"Code":"InternalError","Message":"oops","RequestId":"R"}`, ""), "InternalError: oops (request id R); RAM failed on its side: try again"},
		{"echo", sdkerrors.NewServerError(400, `{"Code":"X","Message":"secret `+url.QueryEscape(signer.Secret)+` \u001b]0;t\u0007","RequestId":"R"}`, ""), `secret <redacted> \x1b]0;t\x07`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := c.wrap("CreateAccessKey", tc.in, signer).Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want %q", msg, tc.want)
			}
			for _, bad := range []string{signer.Secret, url.QueryEscape(signer.Secret), "c2lnbmF0dXJl", "/?", "\x1b", "\x07", "invalid character"} {
				if strings.Contains(msg, bad) {
					t.Errorf("%q left in %q", bad, msg)
				}
			}
			if tc.name == "transport" && !errors.Is(c.wrap("CreateAccessKey", tc.in, signer), syscall.ECONNREFUSED) {
				t.Error("the cause is lost")
			}
		})
	}
}
