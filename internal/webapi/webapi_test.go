package webapi

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	for _, c := range []struct{ code, msg, rid, want string }{
		{"", "", "", "svc answered 500"},
		{"InvalidToken", "", "", "svc answered 500 InvalidToken"},
		{"InvalidToken", "expired", "R1", "svc answered 500 InvalidToken: expired (request id R1)"},
		{"", "down", "", "svc answered 500: down"},
	} {
		if got := Describe("svc answered 500", c.code, c.msg, c.rid); got != c.want {
			t.Errorf("Describe(%q, %q, %q) = %q, want %q", c.code, c.msg, c.rid, got, c.want)
		}
	}
}

func TestShort(t *testing.T) {
	// Control characters are shown escaped (internal/scrub), on one line.
	if got := Short("a\x1b[31m\nb\x7f", 64); got != `a\x1b[31m b\x7f` {
		t.Errorf("control characters: %q", got)
	}
	// A server that echoes what it was sent gets none of it shown.
	echo := "bad code_verifier vErIfIeR-0123456789abcdef for https://h/p?SecurityToken=CAIStoken&Signature=abc%2Bdef"
	got := Short(echo, 300, "vErIfIeR-0123456789abcdef")
	for _, leak := range []string{"vErIfIeR", "CAIStoken", "Signature=abc", "?"} {
		if strings.Contains(got, leak) {
			t.Errorf("Short kept %q: %q", leak, got)
		}
	}
	if got := Short("abcdef", 3); got != "abc…" {
		t.Errorf("cut: %q", got)
	}
}

func TestReadAnswerBound(t *testing.T) {
	if b, err := ReadAnswer(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Fatalf("at the bound: %q %v", b, err)
	}
	if _, err := ReadAnswer(strings.NewReader("123456"), 5); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the bound: %v", err)
	}
}

func TestDoDropsURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: the dial fails
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/path?secret=s3cr3t", nil)
	_, err = Do(nil, req)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "/path") {
		t.Fatalf("error %v: want a transport error without the URL", err)
	}
}

func TestTokenProblem(t *testing.T) {
	for _, c := range []struct {
		tok  string
		exp  int64
		want string
	}{
		{"ssot.abc", 3600, ""},
		{"", 3600, "is empty"},
		{strings.Repeat("A", MaxTokenBytes+1), 3600, "bytes long"},
		{"a b", 3600, "holds a byte (0x20"},
		{"a\x1bb", 3600, "holds a byte (0x1b"},
		{"ok", 0, "lasts 0 seconds"},
		{"ok", 1 << 40, "lasts"},
	} {
		got := TokenProblem("AccessToken", c.tok, c.exp)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("TokenProblem(%.20q, %d) = %q, want %q", c.tok, c.exp, got, c.want)
		}
	}
}
