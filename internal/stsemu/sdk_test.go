package stsemu

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
)

// sdkCall sends a CommonRequest the way the aliyun CLI does: every
// parameter in the query (empty values included), plain http.
func sdkCall(t *testing.T, h *harness, client *sdk.Client, action string, query map[string]string) (map[string]string, error) {
	t.Helper()
	req := requests.NewCommonRequest()
	req.Method = "POST"
	req.Scheme = "http"
	req.Domain = h.srv.HTTPEndpoint()
	req.Version = "2015-04-01"
	req.ApiName = action
	for k, v := range query {
		req.QueryParams[k] = v
	}
	resp, err := client.ProcessCommonRequest(req)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(resp.GetHttpContentBytes(), &top); err != nil {
		t.Fatalf("decode %s: %v", resp.GetHttpContentString(), err)
	}
	out := map[string]string{}
	for k, v := range top {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
			continue
		}
		var nested map[string]string
		if err := json.Unmarshal(v, &nested); err != nil {
			t.Fatalf("field %s: %v", k, err)
		}
		for nk, nv := range nested {
			out[k+"."+nk] = nv
		}
	}
	return out, nil
}

func TestAlibabaCloudSDK(t *testing.T) {
	h := newHarness(t)
	client, err := sdk.NewClientWithAccessKey("cn-hangzhou", DemoAccessKeyID, DemoAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sdkCall(t, h, client, "GetCallerIdentity", nil)
	if err != nil {
		t.Fatal(err)
	}
	if id["Arn"] != DemoUserARN || id["IdentityType"] != "RAMUser" {
		t.Fatalf("identity %v", id)
	}

	out, err := sdkCall(t, h, client, "AssumeRole", map[string]string{
		"RoleArn": DemoAdminRoleARN, "RoleSessionName": "cli-session", "DurationSeconds": "900",
	})
	if err != nil {
		t.Fatal(err)
	}
	if out["AssumedRoleUser.Arn"] != DemoAdminRoleARN+"/cli-session" || out["Credentials.Expiration"] == "" {
		t.Fatalf("assume %v", out)
	}
	// The aliyun CLI path signs SignatureType= and RegionId; they must be
	// in the query the emulator verified.
	if c := h.srv.Calls(); len(c) != 2 || !c[1].Success {
		t.Fatalf("calls %+v", c)
	}

	stsClient, err := sdk.NewClientWithStsToken("cn-hangzhou", out["Credentials.AccessKeyId"], out["Credentials.AccessKeySecret"], out["Credentials.SecurityToken"])
	if err != nil {
		t.Fatal(err)
	}
	role, err := sdkCall(t, h, stsClient, "GetCallerIdentity", nil)
	if err != nil {
		t.Fatal(err)
	}
	if role["IdentityType"] != "AssumedRoleUser" || role["Arn"] != "acs:ram::"+DemoAccountID+":assumed-role/demo-admin/cli-session" ||
		!strings.HasSuffix(role["PrincipalId"], ":cli-session") || role["RoleId"] == "" {
		t.Fatalf("role identity %v", role)
	}
	// Chain one more hop through the SDK with the session credentials.
	if _, err := sdkCall(t, h, stsClient, "AssumeRole", map[string]string{"RoleArn": DemoProdRoleARN, "RoleSessionName": "cli-2"}); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Count("AssumeRole", ""); got != 2 {
		t.Fatalf("Count = %d", got)
	}
}

func TestAlibabaCloudSDKErrors(t *testing.T) {
	h := newHarness(t)
	bad, err := sdk.NewClientWithAccessKey("cn-hangzhou", DemoAccessKeyID, "wrong-secret")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sdkCall(t, h, bad, "GetCallerIdentity", nil)
	wantServerError(t, err, 400, "SignatureDoesNotMatch")

	good, err := sdk.NewClientWithAccessKey("cn-hangzhou", DemoAccessKeyID, DemoAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sdkCall(t, h, good, "AssumeRole", map[string]string{"RoleArn": RoleARN(DemoAccountID, "missing"), "RoleSessionName": "x1"})
	wantServerError(t, err, 404, "EntityNotExist.Role")

	h.srv.Inject(Fault{Action: "GetCallerIdentity", Status: 400, Code: "Throttling", Times: 1})
	_, err = sdkCall(t, h, good, "GetCallerIdentity", nil)
	wantServerError(t, err, 400, "Throttling")
	if _, err := sdkCall(t, h, good, "GetCallerIdentity", nil); err != nil {
		t.Fatalf("fault outlived Times: %v", err)
	}
}

func wantServerError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a ServerError", err)
	}
	if se.HttpStatus() != status || se.ErrorCode() != code {
		t.Fatalf("got %d %s, want %d %s", se.HttpStatus(), se.ErrorCode(), status, code)
	}
}
