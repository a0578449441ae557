package shellenv

// ServerVars returns the variables for a child that fetches its credentials
// from alirole's credentials server at uri instead of holding fixed keys:
// credentials-go and the Tea SDKs read ALIBABA_CLOUD_CREDENTIALS_URI
// (credentials-go providers/uri.go, providers/default.go) and fetch it again
// before each session ends; the Terraform provider reads
// ALICLOUD_CREDENTIALS_URI › ALIBABA_CLOUD_CREDENTIALS_URI but only once,
// when it starts (alicloud/provider.go providerConfigure,
// getClientByCredentialsURI). The aliyun CLI has no mode that takes the URI
// from the environment (config/profile.go AutoModeRecognition), so exec
// hands it a CredentialsURI-mode config file instead (aliyuncli.ExecConfig).
// Region, profile and the IGNORE_PROFILE switches are set as Vars sets them.
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
