package stsemu

import (
	"strings"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	good := map[string]Fault{
		"action=AssumeRole,times=2,status=503":               {Action: "AssumeRole", Times: 2, Status: 503},
		"hang":                                               {Hang: true},
		"latency=2s, reset":                                  {Latency: 2 * time.Second, ResetConnection: true},
		"huge-body=800MiB":                                   {HugeBody: 800 << 20},
		"oversize-token=64KiB":                               {OversizeToken: 64 << 10},
		"expiration=2001-01-01T00:00:00Z":                    {Expiration: "2001-01-01T00:00:00Z"},
		"empty-credentials,role=acs:ram::1:role/x":           {EmptyCredentials: true, RoleArn: "acs:ram::1:role/x"},
		`status=403,code=NoPermission,message=a, b \x1b[31m`: {Status: 403, Code: "NoPermission", Message: "a, b \x1b[31m"},
		"escape-message":                                     {Status: 403, Code: "NoPermission", Message: EscapeMessage},
	}
	for spec, want := range good {
		got, err := ParseFault(spec)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got != want {
			t.Errorf("%q: got %+v, want %+v", spec, got, want)
		}
	}
	bad := map[string]string{
		"":                  "empty fault",
		"bogus":             `unknown key "bogus"`,
		"times=2":           "has no effect",
		"status=200":        "400-599",
		"huge-body=lots":    "bad size",
		"latency=soon":      "latency",
		"expiration":        "needs a value",
		"action=AssumeRole": "has no effect",
	}
	for spec, want := range bad {
		if _, err := ParseFault(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to mention %q", spec, err, want)
		}
	}
}
