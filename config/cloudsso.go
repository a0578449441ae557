package config

import (
	"net"
	"net/url"
	"strings"
)

// CloudSSO keys, named as the aliyun CLI names them in config.json
// (aliyun-cli config/profile.go: cloud_sso_sign_in_url,
// cloud_sso_account_id, cloud_sso_access_config).
const (
	keyCloudSSOSignInURL    = "cloud_sso_sign_in_url"
	keyCloudSSOAccountID    = "cloud_sso_account_id"
	keyCloudSSOAccessConfig = "cloud_sso_access_config"
)

// cloudSSOKey validates and stores one CloudSSO key.
func (b *builder) cloudSSOKey(p *Profile, line int, profile, key, v string) {
	switch key {
	case keyCloudSSOSignInURL:
		set(&p.CloudSSOSignInURL, v, b.accept(SignInURLProblem(v), line, profile, key, v))
	case keyCloudSSOAccountID:
		set(&p.CloudSSOAccountID, v, b.expect(ValidCloudSSOAccountID(v), line, profile, key, v,
			"expected an Alibaba Cloud account id (5-20 digits)"))
	case keyCloudSSOAccessConfig:
		set(&p.CloudSSOAccessConfig, v, b.expect(ValidAccessConfigID(v), line, profile, key, v,
			"expected an access configuration id such as ac-0123abcd (the id, not the name; 'alirole sso populate' writes them)"))
	}
}

// SignInURLProblem checks a CloudSSO user portal sign-in URL, such as
// https://signin-cn-shanghai.alibabacloudsso.com/start/login. Every portal
// call goes to its scheme and host, carrying a bearer token, so it must be
// https; plain http is accepted only for a loopback host (the emulator).
// It returns "" when the URL is fine.
func SignInURLProblem(v string) string {
	const want = "expected the CloudSSO user portal sign-in URL, such as https://signin-cn-shanghai.alibabacloudsso.com/start/login"
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return want
	}
	if u.User != nil {
		return want + " (without user:password@)"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return want + " (without ?query or #fragment)"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return want + " (https: the access token must not travel in clear text)"
		}
	default:
		return want
	}
	if strings.ContainsAny(v, " \t") {
		return want
	}
	return ""
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ValidCloudSSOAccountID reports whether v looks like an account id.
func ValidCloudSSOAccountID(v string) bool {
	return len(v) >= 5 && len(v) <= 20 && allBytes(v, isDigit)
}

// ValidAccessConfigID reports whether v looks like an access configuration
// id: ac- and 1-64 lower-case letters and digits.
func ValidAccessConfigID(v string) bool {
	rest, ok := strings.CutPrefix(v, "ac-")
	return ok && len(rest) >= 1 && len(rest) <= 64 &&
		allBytes(rest, func(c byte) bool { return c >= 'a' && c <= 'z' || isDigit(c) })
}
