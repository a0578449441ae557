package stsemu

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	actionAssumeRole        = "AssumeRole"
	actionGetCallerIdentity = "GetCallerIdentity"
	maxPolicyChars          = 2048
	// sessionRetention bounds memory in long demo runs while keeping
	// recently expired tokens recognisable (so they report Expired).
	sessionRetention = 24 * time.Hour
)

type assumedRoleUser struct {
	Arn           string `json:"Arn"`
	AssumedRoleID string `json:"AssumedRoleId"`
}

type issuedCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken"`
	// Expiration is omitted only under the missing-expiration fault.
	Expiration string `json:"Expiration,omitempty"`
}

type assumeRoleResponse struct {
	RequestID       string            `json:"RequestId"`
	AssumedRoleUser assumedRoleUser   `json:"AssumedRoleUser"`
	Credentials     issuedCredentials `json:"Credentials"`
}

type userIdentityResponse struct {
	AccountID    string `json:"AccountId"`
	Arn          string `json:"Arn"`
	IdentityType string `json:"IdentityType"`
	PrincipalID  string `json:"PrincipalId"`
	UserID       string `json:"UserId"`
	RequestID    string `json:"RequestId"`
}

type roleIdentityResponse struct {
	AccountID    string `json:"AccountId"`
	Arn          string `json:"Arn"`
	IdentityType string `json:"IdentityType"`
	PrincipalID  string `json:"PrincipalId"`
	RoleID       string `json:"RoleId"`
	RequestID    string `json:"RequestId"`
}

func getCallerIdentity(who *principal, rid string) any {
	if who.isRole() {
		return roleIdentityResponse{
			AccountID:    who.accountID,
			Arn:          who.arn,
			IdentityType: "AssumedRoleUser",
			PrincipalID:  who.roleID + ":" + who.sessionName,
			RoleID:       who.roleID,
			RequestID:    rid,
		}
	}
	return userIdentityResponse{
		AccountID:    who.accountID,
		Arn:          who.arn,
		IdentityType: "RAMUser",
		PrincipalID:  who.userID,
		UserID:       who.userID,
		RequestID:    rid,
	}
}

func badParam(name, msg string) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidParameter."+name, msg)
}

func (s *Server) assumeRole(p map[string]string, who *principal, rid string, fx effects) (any, *apiError) {
	role, accountID, canonicalArn, apiErr := s.lookupRole(p["RoleArn"])
	if apiErr != nil {
		return nil, apiErr
	}
	req, apiErr := parseAssumeRole(p, role)
	if apiErr != nil {
		return nil, apiErr
	}
	if who.noSTS {
		return nil, newAPIError(http.StatusForbidden, "NoPermission", noPermissionMessage+
			" (emulator: "+who.arn+" lacks AliyunSTSAssumeRoleAccess)")
	}
	if apiErr := checkTrust(role.Trust, who, req.externalID, canonicalArn); apiErr != nil {
		return nil, apiErr
	}
	sess, err := s.newSession(who.akID, accountID, role, req.sessionName, s.lifetime(req.duration, fx))
	if err != nil {
		return nil, newAPIError(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
	}
	return assumeRoleResult(rid, canonicalArn, req.sessionName, sess, fx), nil
}

// lookupRole parses a RoleArn and returns a copy of the role it names (the
// caller reads it without the lock), its account and its canonical ARN.
func (s *Server) lookupRole(roleArn string) (Role, string, string, *apiError) {
	if roleArn == "" {
		return Role{}, "", "", errMissing("RoleArn")
	}
	m := patterns().roleArn.FindStringSubmatch(roleArn)
	if m == nil {
		return Role{}, "", "", badParam("RoleArn", "The parameter RoleArn is wrongly formed.")
	}
	accountID := m[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	role := s.findRole(accountID, m[2])
	if role == nil {
		return Role{}, "", "", newAPIError(http.StatusNotFound, "EntityNotExist.Role", "The role not exists: "+roleArn+".")
	}
	roleCopy := *role
	roleCopy.Trust = append([]Trust(nil), role.Trust...)
	return roleCopy, accountID, RoleARN(accountID, roleCopy.Name), nil
}

// assumeRequest is what AssumeRole asks for besides the role.
type assumeRequest struct {
	sessionName string
	duration    int // seconds
	externalID  string
}

// parseAssumeRole checks RoleSessionName, DurationSeconds, Policy and
// ExternalId, in the order STS reports them.
func parseAssumeRole(p map[string]string, role Role) (assumeRequest, *apiError) {
	name := p["RoleSessionName"]
	if name == "" {
		return assumeRequest{}, errMissing("RoleSessionName")
	}
	if !patterns().sessionName.MatchString(name) {
		return assumeRequest{}, badParam("RoleSessionName", "The parameter RoleSessionName is wrongly formed.")
	}
	duration, apiErr := parseDuration(p, maxSession(role))
	if apiErr != nil {
		return assumeRequest{}, apiErr
	}
	if policy := p["Policy"]; policy != "" {
		if apiErr := checkPolicy(policy); apiErr != nil {
			return assumeRequest{}, apiErr
		}
	}
	externalID := p["ExternalId"]
	if externalID != "" && !validExternalID(externalID) {
		return assumeRequest{}, badParam("ExternalId", "The parameter ExternalId is wrongly formed.")
	}
	return assumeRequest{sessionName: name, duration: duration, externalID: externalID}, nil
}

// lifetime is how long a session asked for duration seconds lives: as
// asked, unless the server or a fault shortens every session.
func (s *Server) lifetime(duration int, fx effects) time.Duration {
	lifetime := time.Duration(duration) * time.Second
	if s.tokenLifetime > 0 {
		lifetime = s.tokenLifetime
	}
	if fx.tokenLifetime > 0 {
		lifetime = fx.tokenLifetime
	}
	return lifetime
}

// assumeRoleResult is the AssumeRole answer for a new session.
func assumeRoleResult(rid, canonicalArn, name string, sess *session, fx effects) assumeRoleResponse {
	exp := sess.expires.UTC().Format(timestampLayout)
	if fx.omitExpiration {
		exp = ""
	}
	if fx.expiration != "" {
		exp = fx.expiration
	}
	issued := issuedCredentials{AccessKeyID: sess.akID, AccessKeySecret: sess.secret, SecurityToken: sess.token, Expiration: exp}
	if fx.emptyCreds {
		issued.AccessKeyID, issued.AccessKeySecret, issued.SecurityToken = "", "", ""
	}
	if fx.oversizeToken > 0 {
		issued.SecurityToken += strings.Repeat("A", fx.oversizeToken)
	}
	return assumeRoleResponse{
		RequestID: rid,
		AssumedRoleUser: assumedRoleUser{
			Arn:           canonicalArn + "/" + name,
			AssumedRoleID: sess.roleID + ":" + name,
		},
		Credentials: issued,
	}
}

func parseDuration(p map[string]string, maxSeconds int) (int, *apiError) {
	raw, given := p["DurationSeconds"]
	if !given {
		return DefaultDurationSeconds, nil
	}
	bad := badParam("DurationSeconds", "The Min/Max value of DurationSeconds is "+
		strconv.Itoa(MinDurationSeconds)+"/"+strconv.Itoa(maxSeconds)+" seconds.")
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	d, err := strconv.Atoi(raw)
	if err != nil || d < MinDurationSeconds || d > maxSeconds {
		return 0, bad
	}
	return d, nil
}

// checkPolicy applies RAM's size limit and a grammar check covering what
// every valid policy has: Version "1" and statements with Effect, Action
// and Resource.
func checkPolicy(policy string) *apiError {
	if utf8.RuneCountInString(policy) > maxPolicyChars {
		return badParam("PolicySize", "The size of Policy must be smaller than "+strconv.Itoa(maxPolicyChars)+" characters.")
	}
	bad := badParam("PolicyGrammar", "The parameter Policy has not passed grammar check.")
	var doc struct {
		Version   *string           `json:"Version"`
		Statement []json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(policy)))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return bad
	}
	if doc.Version == nil || *doc.Version != "1" || len(doc.Statement) == 0 {
		return bad
	}
	for _, raw := range doc.Statement {
		var st map[string]json.RawMessage
		if err := json.Unmarshal(raw, &st); err != nil {
			return bad
		}
		var effect string
		if err := json.Unmarshal(st["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
			return bad
		}
		if st["Action"] == nil && st["NotAction"] == nil {
			return bad
		}
		if st["Resource"] == nil && st["NotResource"] == nil {
			return bad
		}
	}
	return nil
}

// checkTrust grants when a statement names the caller (by user, by role
// for chained sessions, or by the caller's account root) and its
// ExternalId condition, if any, holds.
func checkTrust(trust []Trust, who *principal, externalID, roleArn string) *apiError {
	matched := false
	for _, t := range trust {
		if !trustMatches(t.Principal, who) {
			continue
		}
		matched = true
		if t.ExternalID == "" || t.ExternalID == externalID {
			return nil
		}
	}
	detail := "the trust policy of " + roleArn + " does not allow " + who.arn
	if matched {
		detail = "the trust policy of " + roleArn + " requires a matching sts:ExternalId"
	}
	return newAPIError(http.StatusForbidden, "NoPermission", noPermissionMessage+
		" You are not authorized to assume this role (emulator: "+detail+").")
}

func trustMatches(principalArn string, who *principal) bool {
	if strings.EqualFold(principalArn, RootARN(who.accountID)) {
		return true
	}
	if who.isRole() {
		return strings.EqualFold(principalArn, RoleARN(who.accountID, who.roleName))
	}
	return strings.EqualFold(principalArn, UserARN(who.accountID, who.userName))
}

func (s *Server) newSession(issuerAK, accountID string, role Role, name string, lifetime time.Duration) (*session, error) {
	akSuffix, err := s.randString(28)
	if err != nil {
		return nil, err
	}
	secret, err := s.randString(44)
	if err != nil {
		return nil, err
	}
	// Real tokens are long base64 with '+', '/' and '='; keeping that shape
	// exercises the percent-encoding of every client.
	tok, err := s.randBytes(454)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	sess := &session{
		akID:        "STS." + akSuffix,
		secret:      secret,
		token:       "CAIS" + base64.StdEncoding.EncodeToString(tok),
		accountID:   accountID,
		roleName:    role.Name,
		roleID:      roleID(accountID, role),
		sessionName: name,
		issuerAK:    issuerAK,
		// Truncated so the Expiration we print is never later than the truth.
		expires: now.Add(lifetime).UTC().Truncate(time.Second),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.sessions {
		if now.Sub(old.expires) > sessionRetention {
			delete(s.sessions, id)
			delete(s.tokens, old.token)
		}
	}
	s.sessions[sess.akID] = sess
	s.tokens[sess.token] = sess
	return sess, nil
}
