package sso

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestCollectPages(t *testing.T) {
	var asked []string
	got, err := collectPages("item", func(next string) ([]int, bool, string, error) {
		asked = append(asked, next)
		n := len(asked)
		return []int{n}, n < 3, "t" + strconv.Itoa(n), nil
	})
	if err != nil || len(got) != 3 || got[0] != 1 || got[2] != 3 || strings.Join(asked, ",") != ",t1,t2" {
		t.Fatalf("got %v, %v; asked with %q", got, err, asked)
	}

	_, err = collectPages("item", func(string) ([]int, bool, string, error) { return []int{1}, true, "same", nil })
	if err == nil || err.Error() != "CloudSSO item listing is truncated without a new NextToken" {
		t.Fatalf("truncated without a new token: %v", err)
	}

	calls := 0
	_, err = collectPages("item", func(string) ([]int, bool, string, error) {
		calls++
		return nil, true, "t" + strconv.Itoa(calls), nil
	})
	if err == nil || !strings.Contains(err.Error(), "did not end after 1000 pages") || calls != maxPages {
		t.Fatalf("endless listing: %v after %d calls", err, calls)
	}

	boom := errors.New("boom")
	if _, err := collectPages("item", func(string) ([]int, bool, string, error) { return nil, false, "", boom }); !errors.Is(err, boom) {
		t.Fatalf("fetch error: %v", err)
	}
}
