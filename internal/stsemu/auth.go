package stsemu

import (
	"net/http"
	"strings"
	"time"
)

const (
	timestampLayout = "2006-01-02T15:04:05Z"
	// clockSkew is both the allowed Timestamp skew and the nonce memory.
	clockSkew = 15 * time.Minute
)

// principal is an authenticated caller.
type principal struct {
	akID      string
	accountID string
	arn       string
	noSTS     bool
	// RAM user
	userName, userID string
	// assumed-role session (roleName set)
	roleName, roleID, sessionName string
}

func (p *principal) isRole() bool { return p.roleName != "" }

// requiredCommon lists common parameters in the order their absence is
// reported (Action and Version are checked earlier, at routing).
var requiredCommon = []string{"Format", "AccessKeyId", "SignatureMethod", "SignatureVersion", "Timestamp", "SignatureNonce", "Signature"}

// authenticate checks common parameters, key state, timestamp, signature,
// nonce and security token, in that order.
func (s *Server) authenticate(method string, p map[string]string) (*principal, *apiError) {
	for _, name := range requiredCommon {
		if p[name] == "" {
			return nil, errMissing(name)
		}
	}
	if !strings.EqualFold(p["Format"], "JSON") {
		return nil, newAPIError(http.StatusBadRequest, "InvalidParameter.Format", "Specified parameter format is not valid. The emulator only speaks JSON.")
	}
	if p["SignatureMethod"] != "HMAC-SHA1" {
		return nil, newAPIError(http.StatusBadRequest, "InvalidSignatureMethod", "Specified signature method is not valid.")
	}
	if p["SignatureVersion"] != "1.0" {
		return nil, errInvalidParam("SignatureVersion")
	}

	akID := p["AccessKeyId"]
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()

	who, secret, apiErr := s.lookupKey(akID)
	if apiErr != nil {
		return nil, apiErr
	}
	ts, err := time.Parse(timestampLayout, p["Timestamp"])
	if err != nil {
		return nil, newAPIError(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	if d := now.Sub(ts); d > clockSkew || d < -clockSkew {
		return nil, newAPIError(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	if !signatureMatches(p["Signature"], computeSignature(stringToSign(method, p), secret)) {
		return nil, newAPIError(http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:"+redactedStringToSign(method, p))
	}
	if apiErr := s.useNonce(akID, p["SignatureNonce"], now); apiErr != nil {
		return nil, apiErr
	}
	if apiErr := s.checkToken(akID, p["SecurityToken"], now); apiErr != nil {
		return nil, apiErr
	}
	return who, nil
}

// lookupKey finds the identity and secret behind an AccessKeyId. Callers
// hold s.mu.
func (s *Server) lookupKey(akID string) (*principal, string, *apiError) {
	if strings.HasPrefix(akID, "STS.") {
		sess, ok := s.sessions[akID]
		if !ok {
			return nil, "", errKeyNotFound()
		}
		role := s.findRole(sess.accountID, sess.roleName)
		return &principal{
			akID:        akID,
			accountID:   sess.accountID,
			arn:         "acs:ram::" + sess.accountID + ":assumed-role/" + sess.roleName + "/" + sess.sessionName,
			noSTS:       role == nil || role.NoSTSAccess,
			roleName:    sess.roleName,
			roleID:      sess.roleID,
			sessionName: sess.sessionName,
		}, sess.secret, nil
	}
	for _, a := range s.world.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if k.ID != akID {
					continue
				}
				if k.Status == StatusInactive {
					return nil, "", newAPIError(http.StatusBadRequest, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")
				}
				return &principal{
					akID:      akID,
					accountID: a.ID,
					arn:       UserARN(a.ID, u.Name),
					noSTS:     u.NoSTSAccess,
					userName:  u.Name,
					userID:    userID(a.ID, u),
				}, k.Secret, nil
			}
		}
	}
	return nil, "", errKeyNotFound()
}

func errKeyNotFound() *apiError {
	return newAPIError(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
}

// useNonce records a nonce per AccessKey and rejects a repeat within the
// skew window (older requests fail the timestamp check anyway). Callers
// hold s.mu.
func (s *Server) useNonce(akID, nonce string, now time.Time) *apiError {
	for k, seen := range s.nonces {
		if now.Sub(seen) > clockSkew {
			delete(s.nonces, k)
		}
	}
	key := akID + "\x00" + nonce
	if _, used := s.nonces[key]; used {
		return newAPIError(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	s.nonces[key] = now
	return nil
}

// checkToken validates the SecurityToken. STS keys need their own token; a
// long-term key must not carry one (that is always a client bug). Callers
// hold s.mu.
func (s *Server) checkToken(akID, token string, now time.Time) *apiError {
	if !strings.HasPrefix(akID, "STS.") {
		if token != "" {
			return errTokenMismatch()
		}
		return nil
	}
	if token == "" {
		return errMissing("SecurityToken")
	}
	sess, ok := s.tokens[token]
	if !ok {
		return newAPIError(http.StatusBadRequest, "InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.")
	}
	if !now.Before(sess.expires) {
		return newAPIError(http.StatusBadRequest, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
	}
	if sess.akID != akID {
		return errTokenMismatch()
	}
	return nil
}

func errTokenMismatch() *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken mismatch with the AccessKey.")
}

// findRole looks a role up case-insensitively, as RAM does. Callers hold
// s.mu.
func (s *Server) findRole(accountID, name string) *Role {
	for ai := range s.world.Accounts {
		a := &s.world.Accounts[ai]
		if a.ID != accountID {
			continue
		}
		for ri := range a.Roles {
			if strings.EqualFold(a.Roles[ri].Name, name) {
				return &a.Roles[ri]
			}
		}
	}
	return nil
}
