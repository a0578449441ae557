package creds

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCredentials(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sts := Credentials{AccessKeyID: "STS.id", AccessKeySecret: "s3cret", SecurityToken: "t0ken", Expiration: now.Add(10 * time.Minute)}
	ak := Credentials{AccessKeyID: "LTAIid", AccessKeySecret: "s3cret"}
	if !sts.IsSTS() || ak.IsSTS() || !sts.Expires() || ak.Expires() {
		t.Fatal("kind detection")
	}
	if !sts.ValidFor(now, 5*time.Minute) || sts.ValidFor(now, 10*time.Minute) || !ak.ValidFor(now, 1000*time.Hour) {
		t.Fatal("ValidFor")
	}
	loc := time.FixedZone("x", 8*3600)
	if got := (Credentials{Expiration: now.In(loc)}).ExpirationString(); got != "2026-01-01T00:00:00Z" {
		t.Fatalf("ExpirationString = %q", got)
	}
	for _, c := range []Credentials{sts, ak} {
		for _, out := range []string{c.String(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
			if strings.Contains(out, "s3cret") || strings.Contains(out, "t0ken") {
				t.Fatalf("formatting leaks a secret: %s", out)
			}
		}
	}
}
