package aliyuncli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestExecConfig(t *testing.T) {
	for _, tc := range []struct {
		p              ExecProfile
		mode, region   string
		credentialsURI string
	}{
		{ExecProfile{Name: "prod", Region: "cn-shanghai", STS: true}, "StsToken", "cn-shanghai", ""},
		{ExecProfile{Name: "me"}, "AK", DefaultExecRegion, ""},
		{ExecProfile{Name: "prod", Region: "eu-central-1", STS: true, CredentialsURI: "http://127.0.0.1:1/x"}, "CredentialsURI", "eu-central-1", "http://127.0.0.1:1/x"},
	} {
		data, err := ExecConfig(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Current  string
			Profiles []map[string]string
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Current != tc.p.Name || len(doc.Profiles) != 1 {
			t.Fatalf("%s", data)
		}
		p := doc.Profiles[0]
		if p["name"] != tc.p.Name || p["mode"] != tc.mode || p["region_id"] != tc.region || p["credentials_uri"] != tc.credentialsURI {
			t.Errorf("%+v: %s", tc.p, data)
		}
		for _, k := range secretKeys {
			if _, ok := p[k]; ok {
				t.Errorf("exec config carries %s", k)
			}
		}
	}
	if _, err := ExecConfig(ExecProfile{}); err == nil {
		t.Error("empty name accepted")
	}
}

func TestIsCLIAndChoosesProfile(t *testing.T) {
	for argv0, want := range map[string]bool{
		"aliyun": true, "/usr/local/bin/aliyun": true, `C:\bin\aliyun.exe`: true, "ALIYUN.EXE": true,
		"aliyun-cli": false, "terraform": false, "sh": false,
	} {
		if IsCLI(argv0) != want {
			t.Errorf("IsCLI(%q) = %v", argv0, !want)
		}
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"ecs", "DescribeRegions"}, false},
		{[]string{"--profile", "x", "ecs"}, true},
		{[]string{"-p", "x"}, true},
		{[]string{"--config-path=/x", "ecs"}, true},
		{[]string{"oss", "--", "--profile"}, false},
	} {
		if got := ChoosesProfile(tc.args); got != tc.want {
			t.Errorf("ChoosesProfile(%q) = %v", tc.args, got)
		}
	}
}

func TestWriteExecConfig(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
	path, remove, err := WriteExecConfig(t.TempDir(), []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi.Mode(), err)
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v %v", di.Mode(), err)
	}
	remove()
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("not removed: %v", err)
	}
}

func TestManagesCLI(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"configure", "set"}, true},
		{[]string{"ecs", "configure"}, false},
		{[]string{"plugin", "install"}, true},
		{[]string{"ecs", "DescribeRegions"}, false},
		{nil, false},
	} {
		if got := ManagesCLI(tc.args); got != tc.want {
			t.Errorf("ManagesCLI(%q) = %v", tc.args, got)
		}
	}
}
