package config

import "strings"

// keyOAuthSiteType is the aliyun CLI's name (config.json oauth_site_type,
// flag --oauth-site-type).
const keyOAuthSiteType = "oauth_site_type"

// OAuth sites: the China site (signin.aliyun.com) and the international
// one (signin.alibabacloud.com).
const (
	OAuthSiteCN   = "CN"
	OAuthSiteINTL = "INTL"
)

func (b *builder) oauthKey(p *Profile, line int, profile, key, v string) {
	switch s := strings.ToUpper(v); s {
	case OAuthSiteCN, OAuthSiteINTL:
		p.OAuthSiteType = s
	default:
		b.errf(line, profile, key, "expected CN (signin.aliyun.com) or INTL (signin.alibabacloud.com), got %s", quoteValue(v))
	}
}
