package shellenv

// ServerVars returns the variables for a child that fetches its credentials
// from alirole's credentials server at uri instead of holding fixed keys:
// credentials-go, the Tea SDKs and the aliyun CLI read
// ALIBABA_CLOUD_CREDENTIALS_URI, the Terraform provider
// ALICLOUD_CREDENTIALS_URI. Region, profile and the IGNORE_PROFILE switches
// are set as Vars sets them.
func ServerVars(uri string, o Options) []Var {
	vs := []Var{
		{Name: "ALIBABA_CLOUD_CREDENTIALS_URI", Value: uri},
		{Name: "ALICLOUD_CREDENTIALS_URI", Value: uri},
	}
	if o.Region != "" {
		for _, p := range []string{prefixAlibabaCloud, prefixAlibabacloud, prefixAlicloud} {
			vs = append(vs, Var{Name: p + "REGION_ID", Value: o.Region})
		}
		vs = append(vs, Var{Name: "ALIBABA_CLOUD_REGION", Value: o.Region}, Var{Name: "ALICLOUD_REGION", Value: o.Region})
	}
	vs = append(vs,
		Var{Name: "ALIBABA_CLOUD_IGNORE_PROFILE", Value: "TRUE"},
		Var{Name: "ALIBABACLOUD_IGNORE_PROFILE", Value: "TRUE"},
	)
	if o.Profile != "" {
		vs = append(vs, Var{Name: EnvProfile, Value: o.Profile})
	}
	return vs
}
