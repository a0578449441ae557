package resolve

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestCleanError(t *testing.T) {
	const (
		token = "CAISsecretTokenValue+/=="
		sig   = "c2lnbmF0dXJlVmFsdWU="
	)
	signed := "https://sts.aliyuncs.com/?AccessKeyId=STS.abc&SecurityToken=" + url.QueryEscape(token) + "&Signature=" + url.QueryEscape(sig) + "&SignatureNonce=n1"
	tests := []struct {
		name string
		in   error
		want string
		// secrets that must be gone
		gone []string
		// isTimeout: the cause must still be reachable with errors.Is
		isDeadline bool
	}{
		{
			name: "signature error loses the string to sign",
			in:   errors.New(refreshFailedPrefix + `{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DLTAI%26SecurityToken%3D` + url.QueryEscape(token) + `","RequestId":"R1"}`),
			want: "SignatureDoesNotMatch: Specified signature is not matched with our calculation. (request id R1)",
			gone: []string{token, url.QueryEscape(token), "string to sign"},
		},
		{
			name:       "transport error keeps op, host and cause",
			in:         &url.Error{Op: "Post", URL: signed, Err: context.DeadlineExceeded},
			want:       "post sts.aliyuncs.com: context deadline exceeded",
			gone:       []string{url.QueryEscape(token), url.QueryEscape(sig)},
			isDeadline: true,
		},
		{
			name: "transport error flattened to text",
			in:   errors.New(`Post "` + signed + `": EOF`),
			want: `Post "https://sts.aliyuncs.com/": EOF`,
		},
		{
			name: "proxy page echoing the request",
			in:   errors.New(refreshFailedPrefix + `<p>` + signed + `</p>`),
			want: `the service answered with an HTML page instead of an error document`,
		},
		{
			name: "json members",
			in:   errors.New(`bad answer {"AccessKeySecret": "s3cr3t-value", "SecurityToken":"` + token + `"}`),
			want: `bad answer {"AccessKeySecret":"<redacted>", "SecurityToken":"<redacted>"}`,
		},
		{
			name: "nothing to clean is passed on as is",
			in:   errors.New("dial tcp: lookup sts.example: no such host"),
			want: "dial tcp: lookup sts.example: no such host",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cleanError(tt.in)
			if got.Error() != tt.want {
				t.Errorf("cleanError:\n got %s\nwant %s", got, tt.want)
			}
			for _, g := range append(tt.gone, token, sig, url.QueryEscape(token), url.QueryEscape(sig)) {
				if strings.Contains(got.Error(), g) {
					t.Errorf("%q left in %s", g, got)
				}
			}
			if tt.isDeadline && !errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("the cause is lost: %#v", got)
			}
		})
	}
}
