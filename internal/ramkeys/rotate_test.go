package ramkeys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

var demoKey = keychain.AccessKey{ID: stsemu.DemoAccessKeyID, Secret: stsemu.DemoAccessKeySecret}

const spareKeyID = "LTAI5tDemoSpareKey0001"

// rig is a rotation wired to an emulator, with a map for a keychain and a
// sleep that only records.
type rig struct {
	emu     *stsemu.Server
	opts    Options
	saved   []keychain.AccessKey
	sleeps  []time.Duration
	cleared int
}

func newRig(t *testing.T, world *stsemu.World) *rig {
	t.Helper()
	emu, err := stsemu.New(world, stsemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if err := emu.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	r := &rig{emu: emu}
	r.opts = Options{
		RAM: SDKClient{Endpoint: emu.HTTPEndpoint(), Scheme: "http", Timeout: 5 * time.Second},
		Identify: func(_ context.Context, k keychain.AccessKey) (string, error) {
			client, err := sts.NewClientWithAccessKey("cn-hangzhou", k.ID, k.Secret)
			if err != nil {
				return "", err
			}
			req := sts.CreateGetCallerIdentityRequest()
			req.Domain, req.Scheme = emu.HTTPEndpoint(), "http"
			resp, err := client.GetCallerIdentity(req)
			if err != nil {
				return "", err
			}
			return resp.Arn, nil
		},
		Save:          func(k keychain.AccessKey) error { r.saved = append(r.saved, k); return nil },
		ClearSessions: func() (int, error) { r.cleared++; return 3, nil },
		Sleep:         func(_ context.Context, d time.Duration) error { r.sleeps = append(r.sleeps, d); return nil },
	}
	return r
}

// keys lists the demo user's AccessKey ids in the emulator.
func (r *rig) keys() string {
	var ids []string
	for _, k := range r.emu.World().Accounts[0].Users[0].AccessKeys {
		ids = append(ids, k.ID)
	}
	return strings.Join(ids, ",")
}

func (r *rig) actions() string {
	var out []string
	for _, c := range r.emu.Calls() {
		who := "old"
		if c.AccessKeyID != stsemu.DemoAccessKeyID {
			who = "new"
		}
		out = append(out, fmt.Sprintf("%s/%s/%d", c.Action, who, c.Status))
	}
	return strings.Join(out, " ")
}

func asError(t *testing.T, err error, step string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Step != step {
		t.Fatalf("error %v, want a rotation error at %q", err, step)
	}
	return e
}

func TestRotateReplacesTheKey(t *testing.T) {
	r := newRig(t, stsemu.DemoWorld())
	res, err := Rotate(context.Background(), r.opts, demoKey)
	if err != nil {
		t.Fatal(err)
	}
	if res.OldID != demoKey.ID || res.NewID == "" || res.NewID == demoKey.ID || res.Identity != stsemu.DemoUserARN || res.Cleared != 3 || len(res.Warnings) != 0 {
		t.Fatalf("result %+v", res)
	}
	if len(r.saved) != 1 || r.saved[0].ID != res.NewID || r.saved[0].Secret == "" || r.cleared != 1 {
		t.Fatalf("saved %d keys, cleared %d times", len(r.saved), r.cleared)
	}
	if got := r.keys(); got != res.NewID {
		t.Fatalf("RAM keys %s, want only %s", got, res.NewID)
	}
	want := "GetCallerIdentity/old/200 CreateAccessKey/old/200 GetCallerIdentity/new/200 DeleteAccessKey/new/200"
	if got := r.actions(); got != want {
		t.Fatalf("calls\n%s\nwant\n%s", got, want)
	}
	if _, err := r.opts.Identify(context.Background(), demoKey); err == nil || !strings.Contains(err.Error(), "InvalidAccessKeyId.NotFound") {
		t.Fatalf("old key after rotation: %v", err)
	}
	if len(r.sleeps) != 0 {
		t.Fatalf("slept %v without need", r.sleeps)
	}
}

func TestRotateWaitsForPropagation(t *testing.T) {
	r := newRig(t, stsemu.DemoWorld())
	r.emu.SetKeyPropagation(3)
	res, err := Rotate(context.Background(), r.opts, demoKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.keys(); got != res.NewID {
		t.Fatalf("RAM keys %s", got)
	}
	if fmt.Sprint(r.sleeps) != "[250ms 500ms 1s]" {
		t.Fatalf("sleeps %v", r.sleeps)
	}
}

func TestRotateAtTheKeyLimit(t *testing.T) {
	w := stsemu.DemoWorld()
	u := &w.Accounts[0].Users[0]
	u.AccessKeys = append(u.AccessKeys, stsemu.AccessKey{ID: spareKeyID, Secret: "spare-secret", Status: stsemu.StatusInactive})
	r := newRig(t, w)
	_, err := Rotate(context.Background(), r.opts, demoKey)
	e := asError(t, err, StepCreate)
	if e.Active != demoKey.ID || e.Stray != "" || Code(err) != "LimitExceeded.User.AccessKey" {
		t.Fatalf("error %+v", e)
	}
	msg := err.Error()
	for _, want := range []string{"The active key is " + demoKey.ID, spareKeyID + " (Inactive", "most AccessKeys"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, demoKey.Secret) {
		t.Fatal("message holds the secret")
	}
	if len(r.saved) != 0 || r.keys() != demoKey.ID+","+spareKeyID {
		t.Fatalf("changed something: saved %d, keys %s", len(r.saved), r.keys())
	}
	if _, err := r.opts.Identify(context.Background(), demoKey); err != nil {
		t.Fatalf("old key broken: %v", err)
	}
}

func TestRotateRollsBackAnUnusableKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(r *rig)
		step  string
	}{
		{"never propagates", func(r *rig) { r.emu.SetKeyPropagation(1000); r.opts.Attempts = 3 }, StepVerify},
		{"keychain refuses", func(r *rig) {
			r.opts.Save = func(keychain.AccessKey) error { return errors.New("keychain locked") }
		}, StepStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, stsemu.DemoWorld())
			tc.setup(r)
			_, err := Rotate(context.Background(), r.opts, demoKey)
			e := asError(t, err, tc.step)
			if e.Active != demoKey.ID || e.Stray != "" || !strings.Contains(e.Advice, "deleted again") {
				t.Fatalf("error %+v", e)
			}
			if r.keys() != demoKey.ID || r.cleared != 0 {
				t.Fatalf("keys %s, cleared %d", r.keys(), r.cleared)
			}
		})
	}
	// Rollback failing too leaves a stray key that the error names.
	r := newRig(t, stsemu.DemoWorld())
	r.opts.Save = func(keychain.AccessKey) error { return errors.New("keychain locked") }
	r.emu.Inject(stsemu.Fault{Action: "DeleteAccessKey", Status: 500})
	res, err := Rotate(context.Background(), r.opts, demoKey)
	e := asError(t, err, StepStore)
	if e.Active != demoKey.ID || e.Stray != res.NewID || !strings.Contains(err.Error(), "DeleteAccessKey --UserAccessKeyId "+res.NewID) {
		t.Fatalf("error %v", err)
	}
}

func TestRotateDeleteProblems(t *testing.T) {
	t.Run("transient errors are retried", func(t *testing.T) {
		r := newRig(t, stsemu.DemoWorld())
		r.emu.Inject(stsemu.Fault{Action: "DeleteAccessKey", Status: 503, Times: 2})
		res, err := Rotate(context.Background(), r.opts, demoKey)
		if err != nil || r.keys() != res.NewID || len(r.sleeps) != 2 {
			t.Fatalf("err %v keys %s sleeps %v", err, r.keys(), r.sleeps)
		}
	})
	t.Run("the old key signs when RAM never learns the new one", func(t *testing.T) {
		r := newRig(t, stsemu.DemoWorld())
		r.opts.Attempts = 3
		r.emu.Inject(stsemu.Fault{Action: "DeleteAccessKey", Status: 404, Code: "InvalidAccessKeyId.NotFound", Times: 3})
		res, err := Rotate(context.Background(), r.opts, demoKey)
		if err != nil || r.keys() != res.NewID {
			t.Fatalf("err %v keys %s", err, r.keys())
		}
		if !strings.HasSuffix(r.actions(), "DeleteAccessKey/new/404 DeleteAccessKey/old/200") {
			t.Fatalf("calls %s", r.actions())
		}
	})
	t.Run("permission denied keeps both keys and says so", func(t *testing.T) {
		r := newRig(t, stsemu.DemoWorld())
		r.emu.Inject(stsemu.Fault{Action: "DeleteAccessKey", Status: 403, Code: "NoPermission"})
		res, err := Rotate(context.Background(), r.opts, demoKey)
		e := asError(t, err, StepDelete)
		if e.Active != res.NewID || e.Stray != demoKey.ID || Code(err) != "NoPermission" || len(r.sleeps) != 0 {
			t.Fatalf("error %+v sleeps %v", e, r.sleeps)
		}
		if len(r.saved) != 1 || r.saved[0].ID != res.NewID || r.keys() != demoKey.ID+","+res.NewID {
			t.Fatalf("saved %v keys %s", len(r.saved), r.keys())
		}
		if !strings.Contains(err.Error(), "The active key is "+res.NewID) {
			t.Fatalf("message %s", err)
		}
	})
}

func TestRotateNeedsAWorkingKey(t *testing.T) {
	r := newRig(t, stsemu.DemoWorld())
	_, err := Rotate(context.Background(), r.opts, keychain.AccessKey{ID: demoKey.ID, Secret: "not-the-secret"})
	e := asError(t, err, StepCheck)
	if e.Active != "" || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || strings.Contains(err.Error(), "not-the-secret") {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(r.actions(), "CreateAccessKey") {
		t.Fatalf("calls %s", r.actions())
	}
}

func TestBackoff(t *testing.T) {
	var got []time.Duration
	for n := 0; n < 8; n++ {
		got = append(got, backoff(n))
	}
	if fmt.Sprint(got) != "[250ms 500ms 1s 2s 4s 8s 8s 8s]" {
		t.Fatalf("backoff %v", got)
	}
}

// TestRAMAnswerCapped: a huge RAM answer is cut off, not read whole.
func TestRAMAnswerCapped(t *testing.T) {
	r := newRig(t, stsemu.DemoWorld())
	r.emu.Inject(stsemu.Fault{Action: "ListAccessKeys", HugeBody: 64 << 20})
	_, err := r.opts.RAM.ListAccessKeys(context.Background(), keychain.AccessKey{ID: stsemu.DemoAccessKeyID, Secret: stsemu.DemoAccessKeySecret})
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Fatalf("huge RAM answer: %v", err)
	}
}
