package stsemu

import (
	"fmt"
	"strings"
)

// SetTrust replaces a role's trust policy at runtime. Sessions already
// issued stay valid, as in RAM.
func (s *Server) SetTrust(roleArn string, trust []Trust) error {
	m := patterns().roleArn.FindStringSubmatch(roleArn)
	if m == nil {
		return fmt.Errorf("set trust: malformed role arn %q", roleArn)
	}
	if err := validateTrust("set trust "+roleArn, trust); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	role := s.findRole(m[1], m[2])
	if role == nil {
		return fmt.Errorf("set trust: role %s does not exist", roleArn)
	}
	// A fresh slice: request handlers may hold copies of the old one.
	role.Trust = append([]Trust(nil), trust...)
	return nil
}

// RemoveTrust drops every statement of a role's trust policy naming
// principal (case-insensitively). It fails when none did, so a typo in a
// test cannot pass silently.
func (s *Server) RemoveTrust(roleArn, principal string) error {
	m := patterns().roleArn.FindStringSubmatch(roleArn)
	if m == nil {
		return fmt.Errorf("remove trust: malformed role arn %q", roleArn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	role := s.findRole(m[1], m[2])
	if role == nil {
		return fmt.Errorf("remove trust: role %s does not exist", roleArn)
	}
	var kept []Trust
	for _, t := range role.Trust {
		if !strings.EqualFold(t.Principal, principal) {
			kept = append(kept, t)
		}
	}
	if len(kept) == len(role.Trust) {
		return fmt.Errorf("remove trust: role %s does not trust %s", roleArn, principal)
	}
	role.Trust = kept
	return nil
}

// SetAccessKeyStatus activates or deactivates a long-term AccessKey.
func (s *Server) SetAccessKeyStatus(akID string, active bool) error {
	status := StatusInactive
	if active {
		status = StatusActive
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for ai := range s.world.Accounts {
		users := s.world.Accounts[ai].Users
		for ui := range users {
			keys := users[ui].AccessKeys
			for ki := range keys {
				if keys[ki].ID == akID {
					keys[ki].Status = status
					return nil
				}
			}
		}
	}
	return fmt.Errorf("set access key status: access key %s does not exist", akID)
}

// World returns a copy of the current world (including runtime edits).
func (s *Server) World() *World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.world.clone()
}
