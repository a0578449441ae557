package identity

import (
	"errors"
	"net/url"
	"strings"
	"syscall"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/alirole/alirole/internal/creds"
)

func TestDescribe(t *testing.T) {
	c := creds.Credentials{AccessKeyID: "STS.k", AccessKeySecret: "sec/ret+value", SecurityToken: "tok+en/value=="}
	signed := "https://sts.aliyuncs.com/?AccessKeyId=STS.k&SecurityToken=" + url.QueryEscape(c.SecurityToken) + "&Signature=c2ln%3D"
	for _, tc := range []struct {
		name string
		in   error
		want string
		code string
	}{
		{"transport", &url.Error{Op: "Post", URL: signed, Err: syscall.ECONNREFUSED}, `Post "https://sts.aliyuncs.com/": connection refused`, ""},
		{"html error page", sdkerrors.NewServerError(502, "<html>Bad Gateway "+signed+"</html>", ""), "HTTP 502, and the answer is not an STS error document", ""},
		{"html 200", sdkerrors.NewClientError(sdkerrors.JsonUnmarshalErrorCode, sdkerrors.JsonUnmarshalErrorMessage, errors.New("invalid character '<'")), "the answer is not the JSON STS sends", ""},
		{"500", sdkerrors.NewServerError(500, `{"Code":"InternalError","Message":"oops","RequestId":"R1"}`, ""), "InternalError: oops (request id R1)\n  what to do: STS failed on its side", "InternalError"},
		{"echoing server", sdkerrors.NewServerError(400, `{"Code":"InvalidSecurityToken.Malformed","Message":"bad `+url.QueryEscape(c.SecurityToken)+` \u001b[2J","RequestId":"R2"}`, ""), `bad <redacted> \x1b[2J`, "InvalidSecurityToken.Malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := describe(tc.in, c)
			msg := got.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("got %q, want it to contain %q", msg, tc.want)
			}
			for _, bad := range []string{c.SecurityToken, url.QueryEscape(c.SecurityToken), "c2ln", "/?", "\x1b", "invalid character"} {
				if strings.Contains(msg, bad) {
					t.Errorf("%q left in %q", bad, msg)
				}
			}
			var e *Error
			if code := ""; errors.As(got, &e) {
				code = e.ErrorCode()
				if code != tc.code {
					t.Errorf("code %q, want %q", code, tc.code)
				}
			} else if tc.code != "" {
				t.Errorf("no *Error for an STS answer")
			}
		})
	}
}
