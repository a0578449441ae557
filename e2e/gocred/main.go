// Command gocred is a stand-in for any Go program built on the Alibaba Cloud
// SDKs: it takes credentials from credentials-go's default chain (the
// environment, a credentials URI, ...), signs STS GetCallerIdentity with them
// through alibaba-cloud-sdk-go, and prints one JSON line per round.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
	"github.com/aliyun/credentials-go/credentials"
)

type round struct {
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	SecurityToken   string `json:"security_token"`
	Provider        string `json:"provider"`
	Arn             string `json:"arn"`
}

func main() {
	endpoint := flag.String("sts", "", "STS host:port, plain http (the emulator's)")
	rounds := flag.Int("rounds", 1, "how many times to fetch credentials and call STS")
	interval := flag.Duration("interval", 0, "pause between rounds")
	flag.Parse()
	cred, err := credentials.NewCredential(nil)
	if err != nil {
		fail(err)
	}
	for i := 0; i < *rounds; i++ {
		if i > 0 {
			time.Sleep(*interval)
		}
		m, err := cred.GetCredential()
		if err != nil {
			fail(err)
		}
		r := round{AccessKeyID: *m.AccessKeyId, AccessKeySecret: *m.AccessKeySecret, Provider: *m.ProviderName}
		if m.SecurityToken != nil {
			r.SecurityToken = *m.SecurityToken
		}
		if *endpoint != "" {
			client, err := sts.NewClientWithStsToken("cn-hangzhou", r.AccessKeyID, r.AccessKeySecret, r.SecurityToken)
			if err != nil {
				fail(err)
			}
			req := sts.CreateGetCallerIdentityRequest()
			req.Domain, req.Scheme = *endpoint, requests.HTTP
			resp, err := client.GetCallerIdentity(req)
			if err != nil {
				fail(err)
			}
			r.Arn = resp.Arn
		}
		if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gocred:", err)
	os.Exit(1)
}
