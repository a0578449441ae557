package keychain

import (
	"errors"
	"testing"
	"time"

	"github.com/99designs/keyring"
)

func TestSSOTokenRoundTrip(t *testing.T) {
	s := New(keyring.NewArrayKeyring(nil))
	const u = "https://signin-cn-shanghai.alibabacloudsso.com/start/login"
	if _, err := s.SSOToken(u); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.SetSSOToken(SSOToken{SignInURL: u, AccessToken: "tok-1", Expires: exp}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SSOToken(u)
	if err != nil || got.AccessToken != "tok-1" || !got.Expires.Equal(exp) {
		t.Fatalf("got %+v, %v", got, err)
	}
	if err := s.SetSSOToken(SSOToken{SignInURL: u, AccessToken: "bad token", Expires: exp}); err == nil {
		t.Fatal("stored a token with a blank")
	}
	// Tokens are neither profiles nor sessions.
	if p, _ := s.Profiles(); len(p) != 0 {
		t.Fatalf("profiles: %v", p)
	}
	if n, _ := s.ClearSessions(""); n != 0 {
		t.Fatalf("clear sessions removed %d", n)
	}
	list, err := s.SSOTokens()
	if err != nil || len(list) != 1 || list[0].Token.SignInURL != u || list[0].Err != nil {
		t.Fatalf("list %+v %v", list, err)
	}
	if err := s.RemoveSSOToken(u); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSSOToken(u); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
}

func TestOAuthTokenRoundTrip(t *testing.T) {
	s := New(keyring.NewArrayKeyring(nil))
	const u = "https://oauth.aliyun.com"
	tok := OAuthToken{Site: "CN", OAuthURL: u, RefreshToken: "rt-1", AccessToken: "at-1", AccessExpires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.SetOAuthToken(tok); err != nil {
		t.Fatal(err)
	}
	tok.RefreshToken = "rt-2"
	if err := s.SetOAuthToken(tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.OAuthToken(u)
	if err != nil || got.RefreshToken != "rt-2" || got.AccessToken != "at-1" || !got.AccessExpires.Equal(tok.AccessExpires) {
		t.Fatalf("got %+v %v", got, err)
	}
	if l, _ := s.OAuthTokens(); len(l) != 1 {
		t.Fatalf("list %v", l)
	}
	if err := s.RemoveOAuthToken(u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OAuthToken(u); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after remove: %v", err)
	}
}
