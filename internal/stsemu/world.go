// Package stsemu is a local Alibaba Cloud STS (2015-04-01) emulator. It
// verifies RPC signatures, AccessKey state, timestamps, nonces and security
// tokens the way the real service does, evaluates role trust policies
// (including role chaining and ExternalId conditions), and can inject
// faults. It is the test harness and offline demo backend for alirole.
//
// The same listeners also serve RAM's AccessKey actions (Version
// 2015-05-01: CreateAccessKey, DeleteAccessKey, ListAccessKeys,
// UpdateAccessKey; ram.go) and console sign-in federation
// (/federation: GetSigninToken, Login; signin.go).
package stsemu

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Defaults and limits of RAM roles.
const (
	DefaultMaxSessionDuration = 3600
	MinMaxSessionDuration     = 3600
	MaxMaxSessionDuration     = 43200
	MinDurationSeconds        = 900
	DefaultDurationSeconds    = 3600
)

// AccessKey status values, as RAM reports them.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// World is the set of accounts, users and roles the emulator knows.
type World struct {
	Accounts []Account `json:"accounts"`
	// CloudSSO, when set, enables the CloudSSO portal (cloudsso.go).
	CloudSSO *CloudSSO `json:"cloudSso,omitempty"`
	// OAuth, when set, enables the OAuth service (oauth.go).
	OAuth *OAuth `json:"oauth,omitempty"`
}

// Account is an Alibaba Cloud account (12–16 digit id).
type Account struct {
	ID    string `json:"id"`
	Users []User `json:"users,omitempty"`
	Roles []Role `json:"roles,omitempty"`
}

// User is a RAM user.
type User struct {
	Name string `json:"name"`
	// UserID is RAM's numeric id; derived from account and name when empty.
	UserID     string      `json:"userId,omitempty"`
	AccessKeys []AccessKey `json:"accessKeys,omitempty"`
	// NoSTSAccess means the user lacks AliyunSTSAssumeRoleAccess. It is a
	// negative flag so that the zero value matches RAM's common setup.
	NoSTSAccess bool `json:"noStsAccess,omitempty"`
}

// AccessKey is a long-term AccessKey pair of a RAM user.
type AccessKey struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	// Status is Active (default when empty) or Inactive.
	Status string `json:"status,omitempty"`
}

// Role is a RAM role.
type Role struct {
	Name string `json:"name"`
	// RoleID is RAM's numeric id; derived from account and name when empty.
	RoleID string `json:"roleId,omitempty"`
	// MaxSessionDuration in seconds, 3600–43200; 0 means 3600.
	MaxSessionDuration int     `json:"maxSessionDuration,omitempty"`
	Trust              []Trust `json:"trust,omitempty"`
	// NoSTSAccess means sessions of this role may not call AssumeRole.
	NoSTSAccess bool `json:"noStsAccess,omitempty"`
}

// Trust is one statement of a role's trust policy: a principal allowed to
// assume the role, optionally only with a matching sts:ExternalId.
type Trust struct {
	// Principal is acs:ram::<acct>:root, acs:ram::<acct>:user/<name> or
	// acs:ram::<acct>:role/<name> (sessions of that role, for chaining).
	Principal  string `json:"principal"`
	ExternalID string `json:"externalId,omitempty"`
}

// Demo world values. The secret is a throwaway value for the offline demo
// and tests; it grants nothing anywhere.
const (
	DemoAccountID       = "1234567890123456"
	DemoUserName        = "demo"
	DemoAccessKeyID     = "LTAI5tDemoAccessKeyId01"
	DemoAccessKeySecret = "DemoSecretNotReal0123456789abcd"
	DemoExternalID      = "demo-external-id"
	DemoAdminRoleARN    = "acs:ram::" + DemoAccountID + ":role/demo-admin"
	DemoProdRoleARN     = "acs:ram::" + DemoAccountID + ":role/demo-prod"
	DemoAuditRoleARN    = "acs:ram::" + DemoAccountID + ":role/demo-audit"
	DemoUserARN         = "acs:ram::" + DemoAccountID + ":user/" + DemoUserName
)

// DemoWorld returns the demo world: user demo → demo-admin → demo-prod →
// demo-audit (the last requires ExternalId demo-external-id).
func DemoWorld() *World {
	return &World{Accounts: []Account{{
		ID: DemoAccountID,
		Users: []User{{
			Name:       DemoUserName,
			AccessKeys: []AccessKey{{ID: DemoAccessKeyID, Secret: DemoAccessKeySecret}},
		}},
		Roles: []Role{
			{Name: "demo-admin", Trust: []Trust{{Principal: DemoUserARN}}},
			{Name: "demo-prod", Trust: []Trust{{Principal: DemoAdminRoleARN}}},
			{Name: "demo-audit", Trust: []Trust{{Principal: DemoProdRoleARN, ExternalID: DemoExternalID}}},
		},
	}}}
}

// RoleARN formats a role ARN.
func RoleARN(accountID, roleName string) string {
	return "acs:ram::" + accountID + ":role/" + roleName
}

// UserARN formats a RAM user ARN.
func UserARN(accountID, userName string) string {
	return "acs:ram::" + accountID + ":user/" + userName
}

// RootARN formats the principal that trusts a whole account.
func RootARN(accountID string) string {
	return "acs:ram::" + accountID + ":root"
}

// ParseWorld decodes and validates a JSON world. Unknown fields are errors
// so that a typo cannot silently weaken a trust policy.
func ParseWorld(data []byte) (*World, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("decode world: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode world: trailing data after the JSON object")
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return &w, nil
}

// LoadWorld reads and validates a JSON world file.
func LoadWorld(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read world %s: %w", path, err)
	}
	w, err := ParseWorld(data)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", path, err)
	}
	return w, nil
}

// Validate checks ids, names, durations, key status and trust principals;
// errors name the offending element.
func (w *World) Validate() error {
	if w == nil || len(w.Accounts) == 0 {
		return errors.New("world has no accounts")
	}
	accounts := map[string]bool{}
	keyIDs := map[string]string{}
	roleIDs := map[string]string{}
	for ai, a := range w.Accounts {
		where := fmt.Sprintf("accounts[%d] %q", ai, a.ID)
		if !patterns().accountID.MatchString(a.ID) {
			return fmt.Errorf("%s: account id must be 12-16 digits", where)
		}
		if accounts[a.ID] {
			return fmt.Errorf("%s: duplicate account id", where)
		}
		accounts[a.ID] = true
		if err := validateUsers(where, a, keyIDs); err != nil {
			return err
		}
		if err := validateRoles(where, a, roleIDs); err != nil {
			return err
		}
	}
	if err := w.validatePrincipals(); err != nil {
		return err
	}
	if err := w.CloudSSO.validate(w); err != nil {
		return err
	}
	return w.OAuth.validate(w)
}

func validateUsers(where string, a Account, keyIDs map[string]string) error {
	names := map[string]bool{}
	for ui, u := range a.Users {
		uw := fmt.Sprintf("%s: users[%d] %q", where, ui, u.Name)
		if !patterns().userName.MatchString(u.Name) {
			return fmt.Errorf("%s: user name must be 1-64 of [A-Za-z0-9._@-]", uw)
		}
		if names[strings.ToLower(u.Name)] {
			return fmt.Errorf("%s: duplicate user name", uw)
		}
		names[strings.ToLower(u.Name)] = true
		if u.UserID != "" && !isDigits(u.UserID) {
			return fmt.Errorf("%s: userId must be digits", uw)
		}
		for ki, k := range u.AccessKeys {
			kw := fmt.Sprintf("%s: accessKeys[%d] %q", uw, ki, k.ID)
			switch {
			case k.ID == "" || strings.ContainsAny(k.ID, " \t\r\n&=%"):
				return fmt.Errorf("%s: access key id is empty or has reserved characters", kw)
			case strings.HasPrefix(k.ID, "STS."):
				return fmt.Errorf("%s: the STS. prefix is reserved for issued sessions", kw)
			case k.Secret == "":
				return fmt.Errorf("%s: secret is empty", kw)
			case k.Status != "" && k.Status != StatusActive && k.Status != StatusInactive:
				return fmt.Errorf("%s: status must be %s or %s", kw, StatusActive, StatusInactive)
			}
			if prev, dup := keyIDs[k.ID]; dup {
				return fmt.Errorf("%s: access key id already used by %s", kw, prev)
			}
			keyIDs[k.ID] = uw
		}
	}
	return nil
}

func validateRoles(where string, a Account, roleIDs map[string]string) error {
	names := map[string]bool{}
	for ri, r := range a.Roles {
		rw := fmt.Sprintf("%s: roles[%d] %q", where, ri, r.Name)
		if !patterns().roleName.MatchString(r.Name) {
			return fmt.Errorf("%s: role name must be 1-64 of [A-Za-z0-9._-]", rw)
		}
		if names[strings.ToLower(r.Name)] {
			return fmt.Errorf("%s: duplicate role name (role names are case-insensitive)", rw)
		}
		names[strings.ToLower(r.Name)] = true
		if d := r.MaxSessionDuration; d != 0 && (d < MinMaxSessionDuration || d > MaxMaxSessionDuration) {
			return fmt.Errorf("%s: maxSessionDuration %d outside %d-%d", rw, d, MinMaxSessionDuration, MaxMaxSessionDuration)
		}
		id := roleID(a.ID, r)
		if !isDigits(id) {
			return fmt.Errorf("%s: roleId must be digits", rw)
		}
		if prev, dup := roleIDs[id]; dup {
			return fmt.Errorf("%s: roleId %s already used by %s", rw, id, prev)
		}
		roleIDs[id] = rw
		if err := validateTrust(rw, r.Trust); err != nil {
			return err
		}
	}
	return nil
}

func validateTrust(where string, trust []Trust) error {
	for ti, t := range trust {
		tw := fmt.Sprintf("%s: trust[%d] %q", where, ti, t.Principal)
		if !patterns().principal.MatchString(t.Principal) {
			return fmt.Errorf("%s: principal must be acs:ram::<account>:root, :user/<name> or :role/<name>", tw)
		}
		if t.ExternalID != "" && !validExternalID(t.ExternalID) {
			return fmt.Errorf("%s: externalId must be 2-1224 of [A-Za-z0-9_+=,.@:/-]", tw)
		}
	}
	return nil
}

// validatePrincipals rejects trust in users or roles that do not exist in an
// account the world defines: such a principal is almost surely a typo.
// Principals of accounts outside the world are allowed (foreign accounts).
func (w *World) validatePrincipals() error {
	known := map[string]bool{}
	users := map[string]bool{}
	roles := map[string]bool{}
	for _, a := range w.Accounts {
		known[a.ID] = true
		for _, u := range a.Users {
			users[strings.ToLower(UserARN(a.ID, u.Name))] = true
		}
		for _, r := range a.Roles {
			roles[strings.ToLower(RoleARN(a.ID, r.Name))] = true
		}
	}
	for _, a := range w.Accounts {
		for _, r := range a.Roles {
			for ti, t := range r.Trust {
				m := patterns().principal.FindStringSubmatch(t.Principal)
				if !known[m[1]] || m[2] == "root" {
					continue
				}
				p := strings.ToLower(t.Principal)
				if (strings.HasPrefix(m[2], "user/") && !users[p]) || (strings.HasPrefix(m[2], "role/") && !roles[p]) {
					return fmt.Errorf("account %q: role %q: trust[%d]: principal %s does not exist", a.ID, r.Name, ti, t.Principal)
				}
			}
		}
	}
	return nil
}

// validExternalID checks 2-1224 of [\w+=,.@:/-] (RE2 caps repeat counts at
// 1000, hence the separate length check).
func validExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && patterns().externalIDChars.MatchString(s)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// derivedID gives stable numeric ids (like RAM's 16-19 digit ids) so that
// worlds need not spell them out and tests get reproducible values.
func derivedID(kind, accountID, name string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + accountID + "\x00" + strings.ToLower(name)))
	n := binary.BigEndian.Uint64(sum[:8])%9_000_000_000_000_000 + 1_000_000_000_000_000
	return strconv.FormatUint(n, 10)
}

func roleID(accountID string, r Role) string {
	if r.RoleID != "" {
		return r.RoleID
	}
	return derivedID("role", accountID, r.Name)
}

func userID(accountID string, u User) string {
	if u.UserID != "" {
		return u.UserID
	}
	return derivedID("user", accountID, u.Name)
}

func maxSession(r Role) int {
	if r.MaxSessionDuration == 0 {
		return DefaultMaxSessionDuration
	}
	return r.MaxSessionDuration
}

// clone deep-copies the world so the server never shares slices with the
// caller.
func (w *World) clone() *World {
	c := &World{Accounts: make([]Account, len(w.Accounts)), CloudSSO: w.CloudSSO.clone(), OAuth: w.OAuth.clone()}
	for i, a := range w.Accounts {
		na := Account{ID: a.ID, Users: make([]User, len(a.Users)), Roles: make([]Role, len(a.Roles))}
		for j, u := range a.Users {
			u.AccessKeys = append([]AccessKey(nil), u.AccessKeys...)
			na.Users[j] = u
		}
		for j, r := range a.Roles {
			r.Trust = append([]Trust(nil), r.Trust...)
			na.Roles[j] = r
		}
		c.Accounts[i] = na
	}
	return c
}
