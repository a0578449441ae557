package stsemu

import (
	"strings"
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

// cgoChain builds a credentials-go provider chain user → roles[0] → … over
// the TLS endpoint (credentials-go always uses https and trusts the CA via
// SSL_CERT_FILE, set in TestMain).
func cgoChain(t *testing.T, h *harness, externalID string, opts *providers.HttpOptions, roles ...string) providers.CredentialsProvider {
	t.Helper()
	var prev providers.CredentialsProvider
	prev, err := providers.NewStaticAKCredentialsProviderBuilder().
		WithAccessKeyId(DemoAccessKeyID).WithAccessKeySecret(DemoAccessKeySecret).Build()
	if err != nil {
		t.Fatal(err)
	}
	for i, role := range roles {
		b := providers.NewRAMRoleARNCredentialsProviderBuilder().
			WithCredentialsProvider(prev).
			WithRoleArn(role).
			WithRoleSessionName("hop" + string(rune('1'+i))).
			WithDurationSeconds(900).
			WithStsEndpoint(h.srv.Endpoint())
		if opts != nil {
			b = b.WithHttpOptions(opts)
		}
		if i == len(roles)-1 && externalID != "" {
			b = b.WithExternalId(externalID)
		}
		p, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		prev = p
	}
	return prev
}

func TestCredentialsGoThreeHopChain(t *testing.T) {
	h := newHarness(t)
	p := cgoChain(t, h, DemoExternalID, nil, DemoAdminRoleARN, DemoProdRoleARN, DemoAuditRoleARN)
	start := time.Now()
	cc, err := p.GetCredentials()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cc.AccessKeyId, "STS.") || cc.SecurityToken == "" {
		t.Fatalf("unexpected credentials %s", cc.AccessKeyId)
	}
	for _, role := range []string{DemoAdminRoleARN, DemoProdRoleARN, DemoAuditRoleARN} {
		if got := h.srv.Count("AssumeRole", role); got != 1 {
			t.Fatalf("Count(%s) = %d, want 1", role, got)
		}
	}
	calls := h.srv.Calls()
	wantCallers := []string{DemoUserARN, "acs:ram::" + DemoAccountID + ":assumed-role/demo-admin/hop1", "acs:ram::" + DemoAccountID + ":assumed-role/demo-prod/hop2"}
	if len(calls) != 3 {
		t.Fatalf("calls %+v", calls)
	}
	for i, c := range calls {
		if c.CallerARN != wantCallers[i] || c.Status != 200 || !c.Success {
			t.Fatalf("call %d = %+v, want caller %s", i, c, wantCallers[i])
		}
	}
	// The final credentials work and identify the audit session.
	res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{cc.AccessKeyId, cc.AccessKeySecret, cc.SecurityToken}})
	if res.status != 200 || !strings.Contains(string(res.body), ":assumed-role/demo-audit/hop3") {
		t.Fatalf("%d %s", res.status, res.body)
	}
	// credentials-go caches: a second call issues nothing new.
	if _, err := p.GetCredentials(); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Count("AssumeRole", ""); got != 3 {
		t.Fatalf("Count after cached call = %d, want 3", got)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("chain took %s", time.Since(start))
	}
}

func TestCredentialsGoCutLink(t *testing.T) {
	h := newHarness(t)
	if _, err := cgoChain(t, h, DemoExternalID, nil, DemoAdminRoleARN, DemoProdRoleARN, DemoAuditRoleARN).GetCredentials(); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.RemoveTrust(DemoProdRoleARN, DemoAdminRoleARN); err != nil {
		t.Fatal(err)
	}
	_, err := cgoChain(t, h, DemoExternalID, nil, DemoAdminRoleARN, DemoProdRoleARN, DemoAuditRoleARN).GetCredentials()
	if err == nil {
		t.Fatal("chain resolved after its trust link was removed")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "refresh session token failed: ") || !strings.Contains(msg, `"Code":"NoPermission"`) {
		t.Fatalf("error = %v", err)
	}
	last := h.srv.Calls()[len(h.srv.Calls())-1]
	if last.RoleArn != DemoProdRoleARN || last.Status != 403 || last.Code != "NoPermission" || last.Success {
		t.Fatalf("last call %+v", last)
	}
	if got := h.srv.Count("AssumeRole", DemoAdminRoleARN); got != 2 {
		t.Fatalf("admin hop count = %d, want 2", got)
	}
}

func TestCredentialsGoMissingExternalID(t *testing.T) {
	h := newHarness(t)
	_, err := cgoChain(t, h, "", nil, DemoAdminRoleARN, DemoProdRoleARN, DemoAuditRoleARN).GetCredentials()
	if err == nil || !strings.Contains(err.Error(), `"Code":"NoPermission"`) {
		t.Fatalf("error = %v", err)
	}
	if !strings.Contains(err.Error(), "sts:ExternalId") {
		t.Fatalf("message should name the ExternalId condition: %v", err)
	}
}

func TestCredentialsGoWrongSecret(t *testing.T) {
	h := newHarness(t)
	static, err := providers.NewStaticAKCredentialsProviderBuilder().
		WithAccessKeyId(DemoAccessKeyID).WithAccessKeySecret("not-the-secret").Build()
	if err != nil {
		t.Fatal(err)
	}
	p, err := providers.NewRAMRoleARNCredentialsProviderBuilder().WithCredentialsProvider(static).
		WithRoleArn(DemoAdminRoleARN).WithStsEndpoint(h.srv.Endpoint()).Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.GetCredentials()
	if err == nil || !strings.Contains(err.Error(), `"Code":"SignatureDoesNotMatch"`) {
		t.Fatalf("error = %v", err)
	}
}
