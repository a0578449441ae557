package stsemu

import (
	"errors"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
)

// ramClient is the SDK's RAM client for c, talking plain HTTP to h.
type ramClient struct {
	t      *testing.T
	h      *harness
	client *ram.Client
}

func newRAMClient(t *testing.T, h *harness, c testCreds) *ramClient {
	t.Helper()
	var (
		client *ram.Client
		err    error
	)
	if c.token != "" {
		client, err = ram.NewClientWithStsToken("cn-hangzhou", c.id, c.secret, c.token)
	} else {
		client, err = ram.NewClientWithAccessKey("cn-hangzhou", c.id, c.secret)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &ramClient{t: t, h: h, client: client}
}

func (r *ramClient) create(user string) (ram.AccessKey, error) {
	req := ram.CreateCreateAccessKeyRequest()
	req.Domain, req.Scheme, req.UserName = r.h.srv.HTTPEndpoint(), "http", user
	resp, err := r.client.CreateAccessKey(req)
	if err != nil {
		return ram.AccessKey{}, err
	}
	return resp.AccessKey, nil
}

func (r *ramClient) list(user string) ([]ram.AccessKey, error) {
	req := ram.CreateListAccessKeysRequest()
	req.Domain, req.Scheme, req.UserName = r.h.srv.HTTPEndpoint(), "http", user
	resp, err := r.client.ListAccessKeys(req)
	if err != nil {
		return nil, err
	}
	return resp.AccessKeys.AccessKey, nil
}

func (r *ramClient) delete(user, id string) error {
	req := ram.CreateDeleteAccessKeyRequest()
	req.Domain, req.Scheme, req.UserName, req.UserAccessKeyId = r.h.srv.HTTPEndpoint(), "http", user, id
	_, err := r.client.DeleteAccessKey(req)
	return err
}

func (r *ramClient) update(user, id, status string) error {
	req := ram.CreateUpdateAccessKeyRequest()
	req.Domain, req.Scheme, req.UserName, req.UserAccessKeyId, req.Status = r.h.srv.HTTPEndpoint(), "http", user, id, status
	_, err := r.client.UpdateAccessKey(req)
	return err
}

// stsIdentity calls GetCallerIdentity with c through the SDK's STS client.
func stsIdentity(t *testing.T, h *harness, c testCreds) (string, error) {
	t.Helper()
	client, err := sts.NewClientWithAccessKey("cn-hangzhou", c.id, c.secret)
	if err != nil {
		t.Fatal(err)
	}
	req := sts.CreateGetCallerIdentityRequest()
	req.Domain, req.Scheme = h.srv.HTTPEndpoint(), "http"
	resp, err := client.GetCallerIdentity(req)
	if err != nil {
		return "", err
	}
	return resp.Arn, nil
}

// wantSDKError checks an SDK error's status, code and the product that
// answered.
func wantSDKError(t *testing.T, err error, status int, code, host string) {
	t.Helper()
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want server error %s", err, code)
	}
	if se.HttpStatus() != status || se.ErrorCode() != code || se.HostId() != host {
		t.Fatalf("got %d %s (host %s), want %d %s (host %s)", se.HttpStatus(), se.ErrorCode(), se.HostId(), status, code, host)
	}
}

func TestRAMAccessKeyLifecycle(t *testing.T) {
	h := newHarness(t)
	demo := newRAMClient(t, h, demoCreds)

	keys, err := demo.list("")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].AccessKeyId != DemoAccessKeyID || keys[0].Status != StatusActive || keys[0].AccessKeySecret != "" {
		t.Fatalf("initial keys %+v", keys)
	}
	if _, err := time.Parse(timestampLayout, keys[0].CreateDate); err != nil {
		t.Fatalf("CreateDate %q: %v", keys[0].CreateDate, err)
	}

	created, err := demo.create("")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.AccessKeyId, "LTAI") || len(created.AccessKeySecret) < 30 || created.Status != StatusActive {
		t.Fatalf("created %+v", created.AccessKeyId)
	}
	fresh := testCreds{id: created.AccessKeyId, secret: created.AccessKeySecret}
	if arn, err := stsIdentity(t, h, fresh); err != nil || arn != DemoUserARN {
		t.Fatalf("new key identity %q, %v", arn, err)
	}
	if keys, _ := demo.list(""); len(keys) != 2 {
		t.Fatalf("after create: %d keys", len(keys))
	}

	// The third key breaks RAM's limit; nothing changes.
	_, err = demo.create("")
	wantSDKError(t, err, 409, "LimitExceeded.User.AccessKey", "ram.aliyuncs.com")

	// Disabling a key stops it at STS; enabling restores it.
	if err := demo.update("", fresh.id, StatusInactive); err != nil {
		t.Fatal(err)
	}
	_, err = stsIdentity(t, h, fresh)
	wantSDKError(t, err, 400, "InvalidAccessKeyId.Inactive", HostID)
	if err := demo.update("", fresh.id, "Paused"); err == nil {
		t.Fatal("status Paused accepted")
	}
	if err := demo.update("", fresh.id, StatusActive); err != nil {
		t.Fatal(err)
	}

	// A key may delete itself; afterwards it is unknown everywhere.
	if err := demo.delete("", DemoAccessKeyID); err != nil {
		t.Fatal(err)
	}
	_, err = stsIdentity(t, h, demoCreds)
	wantSDKError(t, err, 404, "InvalidAccessKeyId.NotFound", HostID)
	_, err = demo.list("")
	wantSDKError(t, err, 404, "InvalidAccessKeyId.NotFound", "ram.aliyuncs.com")

	next := newRAMClient(t, h, fresh)
	keys, err = next.list("")
	if err != nil || len(keys) != 1 || keys[0].AccessKeyId != fresh.id {
		t.Fatalf("after delete: %+v %v", keys, err)
	}
	wantSDKError(t, next.delete("", DemoAccessKeyID), 404, "EntityNotExist.User.AccessKey", "ram.aliyuncs.com")
	wantSDKError(t, next.delete("", ""), 400, "MissingParameter", "ram.aliyuncs.com")

	// The world view reflects RAM's changes.
	w := h.srv.World()
	if got := w.Accounts[0].Users[0].AccessKeys; len(got) != 1 || got[0].ID != fresh.id {
		t.Fatalf("world keys %+v", got)
	}
	var actions []string
	for _, c := range h.srv.Calls() {
		if c.Success {
			actions = append(actions, c.Action)
		}
	}
	if want := "ListAccessKeys CreateAccessKey GetCallerIdentity ListAccessKeys UpdateAccessKey UpdateAccessKey DeleteAccessKey ListAccessKeys"; strings.Join(actions, " ") != want {
		t.Fatalf("successful calls %v", actions)
	}
}

func TestRAMTargetUser(t *testing.T) {
	h := newHarness(t)
	demo := newRAMClient(t, h, demoCreds)
	keys, err := demo.list("OTHER") // user names are case-insensitive
	if err != nil || len(keys) != 1 || keys[0].AccessKeyId != otherUserAK {
		t.Fatalf("other's keys %+v %v", keys, err)
	}
	_, err = demo.list("ghost")
	wantSDKError(t, err, 404, "EntityNotExist.User", "ram.aliyuncs.com")
	_, err = demo.list("bad/name")
	wantSDKError(t, err, 400, "InvalidParameter.UserName.InvalidChars", "ram.aliyuncs.com")

	role := h.assume(t, demoCreds, DemoAdminRoleARN, "ram-admin", nil)
	admin := newRAMClient(t, h, role)
	_, err = admin.list("")
	wantSDKError(t, err, 400, "MissingParameter", "ram.aliyuncs.com")
	created, err := admin.create("other")
	if err != nil {
		t.Fatal(err)
	}
	if arn, err := stsIdentity(t, h, testCreds{id: created.AccessKeyId, secret: created.AccessKeySecret}); err != nil || arn != UserARN(DemoAccountID, "other") {
		t.Fatalf("key made for other: %q %v", arn, err)
	}
}

func TestRAMKeyPropagationAndFaults(t *testing.T) {
	h := newHarness(t)
	h.srv.SetKeyPropagation(2)
	demo := newRAMClient(t, h, demoCreds)
	created, err := demo.create("")
	if err != nil {
		t.Fatal(err)
	}
	fresh := testCreds{id: created.AccessKeyId, secret: created.AccessKeySecret}
	for i := 0; i < 2; i++ {
		_, err := stsIdentity(t, h, fresh)
		wantSDKError(t, err, 404, "InvalidAccessKeyId.NotFound", HostID)
	}
	if _, err := stsIdentity(t, h, fresh); err != nil {
		t.Fatalf("after propagation: %v", err)
	}
	// Keys of the world never wait.
	if _, err := stsIdentity(t, h, demoCreds); err != nil {
		t.Fatal(err)
	}

	h.srv.Inject(Fault{Action: "DeleteAccessKey", Status: 503, Times: 1})
	wantSDKError(t, demo.delete("", fresh.id), 503, "ServiceUnavailable", HostID)
	if err := demo.delete("", fresh.id); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
}

func TestRAMRequestChecks(t *testing.T) {
	h := newHarness(t)
	ramVersion := func(p map[string]string) { p["Version"] = "2015-05-01" }
	res := h.do(t, rpcRequest{action: "ListAccessKeys", creds: testCreds{id: DemoAccessKeyID, secret: "wrong"}, beforeSign: ramVersion})
	wantError(t, res, 400, "SignatureDoesNotMatch")
	if res.err.HostID != "ram.aliyuncs.com" || !strings.Contains(res.err.Recommend, "product=Ram") {
		t.Fatalf("error body %+v", res.err)
	}
	wantError(t, h.do(t, rpcRequest{action: "ListUsers", creds: demoCreds, beforeSign: ramVersion}), 404, "InvalidAction.NotFound")
	// RAM actions are not STS actions.
	wantError(t, h.do(t, rpcRequest{action: "ListAccessKeys", creds: demoCreds}), 404, "InvalidAction.NotFound")
	if res := h.do(t, rpcRequest{action: "ListAccessKeys", creds: demoCreds, beforeSign: ramVersion}); res.status != 200 {
		t.Fatalf("hand-signed ListAccessKeys: %d %s", res.status, res.body)
	}
}
