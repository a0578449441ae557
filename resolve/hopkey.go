package resolve

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/alirole/alirole/config"
)

// hopIdentity names the session a hop asks STS for; the hop's cache key is
// derived from it, so a cached session is reused only for the very same
// request. It holds everything that decides what the session may do or who
// it is: the profile, role, session name, external ID, policy, duration
// and the identity of the caller upstream (source_profile, source kind and
// its parameters, earlier hops).
//
// Where the hop calls STS (sts_region, sts_endpoint, enable_vpc, the
// --sts-endpoint override) is left out: every STS endpoint issues the same
// sessions, valid in every region, so moving to a nearer endpoint keeps the
// cache. region_id only concerns the programs that get the credentials.
func hopIdentity(p *config.Profile, sessionName string, duration time.Duration, upstream string) string {
	policySum := sha256.Sum256([]byte(p.Policy))
	return strings.Join([]string{
		p.Name, p.RamRoleArn, sessionName, p.ExternalID,
		hex.EncodeToString(policySum[:]), strconv.Itoa(int(duration.Seconds())), upstream,
	}, "\x00")
}
