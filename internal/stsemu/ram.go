package stsemu

import (
	"net/http"
	"strings"
	"time"
)

// RAM (Version 2015-05-01) AccessKey management, served on the same
// listeners as STS: real RAM lives on ram.aliyuncs.com, but it shares the
// RPC gateway, the signature scheme and the AccessKeys, so one emulator
// keeps both views of a key consistent (a key deleted through RAM stops
// working for STS at once).
const (
	ramAPIVersion         = "2015-05-01"
	ramHost               = "ram.aliyuncs.com"
	actionCreateAccessKey = "CreateAccessKey"
	actionDeleteAccessKey = "DeleteAccessKey"
	actionListAccessKeys  = "ListAccessKeys"
	actionUpdateAccessKey = "UpdateAccessKey"
	// MaxAccessKeysPerUser is RAM's limit, counting inactive keys.
	MaxAccessKeysPerUser = 2
)

var ramService = service{host: ramHost, product: "Ram"}

// ramState is the RAM bookkeeping that the world does not hold. Guarded by
// Server.mu.
type ramState struct {
	// epoch is the CreateDate reported for keys defined in the world.
	epoch   time.Time
	created map[string]time.Time // AccessKeyId → CreateDate of created keys
	// propagation is how many requests a newly created key is rejected for;
	// pending counts down what is left per key.
	propagation int
	pending     map[string]int
}

func newRAMState(now time.Time) ramState {
	return ramState{epoch: now.UTC().Truncate(time.Second), created: map[string]time.Time{}, pending: map[string]int{}}
}

// SetKeyPropagation makes every AccessKey created through RAM from now on
// unknown (InvalidAccessKeyId.NotFound) for its first uses requests, to
// STS and RAM alike: real RAM takes seconds to propagate a new key.
func (s *Server) SetKeyPropagation(uses int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ram.propagation = max(uses, 0)
}

// authenticateCaller is authenticate preceded by the propagation delay of
// freshly created keys.
func (s *Server) authenticateCaller(method string, p map[string]string) (*principal, *apiError) {
	s.mu.Lock()
	left := s.ram.pending[p["AccessKeyId"]]
	if left > 0 {
		s.ram.pending[p["AccessKeyId"]] = left - 1
	}
	s.mu.Unlock()
	if left > 0 {
		return nil, errKeyNotFound()
	}
	return s.authenticate(method, p)
}

type ramAccessKey struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret,omitempty"`
	Status          string `json:"Status"`
	CreateDate      string `json:"CreateDate"`
}

type createAccessKeyResponse struct {
	RequestID string       `json:"RequestId"`
	AccessKey ramAccessKey `json:"AccessKey"`
}

type listAccessKeysResponse struct {
	RequestID  string `json:"RequestId"`
	AccessKeys struct {
		AccessKey []ramAccessKey `json:"AccessKey"`
	} `json:"AccessKeys"`
}

type requestIDResponse struct {
	RequestID string `json:"RequestId"`
}

// processRAM authenticates and runs one RAM action. Every error it returns
// is marked as RAM's.
func (s *Server) processRAM(method string, p map[string]string, rid string, call *Call) (any, *apiError) {
	resp, apiErr := s.ramAction(method, p, rid, call)
	if apiErr != nil {
		apiErr.svc = ramService
	}
	return resp, apiErr
}

func (s *Server) ramAction(method string, p map[string]string, rid string, call *Call) (any, *apiError) {
	action := p["Action"]
	switch action {
	case actionCreateAccessKey, actionDeleteAccessKey, actionListAccessKeys, actionUpdateAccessKey:
	default:
		return nil, errAPINotFound()
	}
	who, apiErr := s.authenticateCaller(method, p)
	if apiErr != nil {
		return nil, apiErr
	}
	call.CallerARN = who.arn

	s.mu.Lock()
	defer s.mu.Unlock()
	user, apiErr := s.ramTargetUser(who, p["UserName"])
	if apiErr != nil {
		return nil, apiErr
	}
	switch action {
	case actionCreateAccessKey:
		return s.createAccessKey(user, rid)
	case actionListAccessKeys:
		out := listAccessKeysResponse{RequestID: rid}
		out.AccessKeys.AccessKey = []ramAccessKey{}
		for _, k := range user.AccessKeys {
			out.AccessKeys.AccessKey = append(out.AccessKeys.AccessKey, s.describeKey(k))
		}
		return out, nil
	case actionDeleteAccessKey:
		i, apiErr := keyIndex(user, p["UserAccessKeyId"])
		if apiErr != nil {
			return nil, apiErr
		}
		// A fresh slice: nothing else may keep seeing the deleted key.
		keys := append([]AccessKey(nil), user.AccessKeys[:i]...)
		user.AccessKeys = append(keys, user.AccessKeys[i+1:]...)
		delete(s.ram.created, p["UserAccessKeyId"])
		delete(s.ram.pending, p["UserAccessKeyId"])
		return requestIDResponse{RequestID: rid}, nil
	default: // UpdateAccessKey
		i, apiErr := keyIndex(user, p["UserAccessKeyId"])
		if apiErr != nil {
			return nil, apiErr
		}
		status := p["Status"]
		if status == "" {
			return nil, newAPIError(http.StatusBadRequest, "MissingParameter", "The input parameter \"Status\" that is mandatory for processing this request is not supplied.")
		}
		if status != StatusActive && status != StatusInactive {
			return nil, newAPIError(http.StatusBadRequest, "InvalidParameter.Status.Format", "The format of the parameter - \"Status\" is incorrect.")
		}
		user.AccessKeys[i].Status = status
		return requestIDResponse{RequestID: rid}, nil
	}
}

// ramTargetUser picks the user an AccessKey action applies to: UserName
// when given (a user of the caller's account), else the calling RAM user.
// Callers hold s.mu.
func (s *Server) ramTargetUser(who *principal, name string) (*User, *apiError) {
	if name == "" {
		if who.isRole() {
			// An assumed-role session has no AccessKeys of its own.
			return nil, newAPIError(http.StatusBadRequest, "MissingParameter", "The input parameter \"UserName\" that is mandatory for processing this request is not supplied.")
		}
		name = who.userName
	}
	if !patterns().userName.MatchString(name) {
		return nil, newAPIError(http.StatusBadRequest, "InvalidParameter.UserName.InvalidChars", "The parameter - \"UserName\" contains invalid chars.")
	}
	for ai := range s.world.Accounts {
		a := &s.world.Accounts[ai]
		if a.ID != who.accountID {
			continue
		}
		for ui := range a.Users {
			if strings.EqualFold(a.Users[ui].Name, name) {
				return &a.Users[ui], nil
			}
		}
	}
	return nil, newAPIError(http.StatusNotFound, "EntityNotExist.User", "The user does not exist.")
}

func keyIndex(u *User, id string) (int, *apiError) {
	if id == "" {
		return 0, newAPIError(http.StatusBadRequest, "MissingParameter", "The input parameter \"UserAccessKeyId\" that is mandatory for processing this request is not supplied.")
	}
	for i, k := range u.AccessKeys {
		if k.ID == id {
			return i, nil
		}
	}
	return 0, newAPIError(http.StatusNotFound, "EntityNotExist.User.AccessKey", "The user access key does not exist.")
}

// createAccessKey adds a key to u. Callers hold s.mu.
func (s *Server) createAccessKey(u *User, rid string) (any, *apiError) {
	if len(u.AccessKeys) >= MaxAccessKeysPerUser {
		return nil, newAPIError(http.StatusConflict, "LimitExceeded.User.AccessKey", "The access key count of the user access keys beyond the current limits.")
	}
	internal := newAPIError(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
	var k AccessKey
	for k.ID == "" || s.keyExists(k.ID) {
		suffix, err := s.randString(18)
		if err != nil {
			return nil, internal
		}
		k.ID = "LTAI5t" + suffix
	}
	secret, err := s.randString(30)
	if err != nil {
		return nil, internal
	}
	k.Secret, k.Status = secret, StatusActive
	u.AccessKeys = append(append([]AccessKey(nil), u.AccessKeys...), k)
	s.ram.created[k.ID] = s.clock().UTC().Truncate(time.Second)
	if s.ram.propagation > 0 {
		s.ram.pending[k.ID] = s.ram.propagation
	}
	d := s.describeKey(k)
	d.AccessKeySecret = k.Secret
	return createAccessKeyResponse{RequestID: rid, AccessKey: d}, nil
}

// describeKey is a key as RAM lists it (no secret). Callers hold s.mu.
func (s *Server) describeKey(k AccessKey) ramAccessKey {
	created, ok := s.ram.created[k.ID]
	if !ok {
		created = s.ram.epoch
	}
	status := k.Status
	if status == "" {
		status = StatusActive
	}
	return ramAccessKey{AccessKeyID: k.ID, Status: status, CreateDate: created.Format(timestampLayout)}
}

// keyExists reports whether any user has the AccessKey id. Callers hold
// s.mu.
func (s *Server) keyExists(id string) bool {
	for _, a := range s.world.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if k.ID == id {
					return true
				}
			}
		}
	}
	return false
}
