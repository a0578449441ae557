package signinlock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"
)

func TestBaseNamesCarryNoURL(t *testing.T) {
	dir := t.TempDir()
	a, b := Base(dir, "sso-", "https://signin-cn-shanghai.alibabacloudsso.com/d-1/login"), Base(dir, "sso-", "https://other/login")
	if filepath.Dir(a) != dir || !regexp.MustCompile(`^sso-[0-9a-f]{24}$`).MatchString(filepath.Base(a)) || a == b {
		t.Fatalf("bases %q, %q", a, b)
	}
	if a != Base(dir, "sso-", "https://signin-cn-shanghai.alibabacloudsso.com/d-1/login") {
		t.Fatal("base not stable")
	}
}

func TestWaitIsExclusiveAndBounded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	base := Base(dir, "oauth-", "https://oauth.aliyun.com")
	first, err := New(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Fatalf("lock directory: %v %v", fi, err)
	}
	if err := Wait(context.Background(), first, time.Second, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	second, _ := New(dir, base)
	start := time.Now()
	err = Wait(context.Background(), second, 100*time.Millisecond, 5*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("second holder: %v after %s", err, time.Since(start))
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := Wait(context.Background(), second, time.Second, 5*time.Millisecond); err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	_ = second.Unlock()
}
