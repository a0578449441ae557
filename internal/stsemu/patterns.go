package stsemu

import (
	"regexp"
	"sync"
)

// grammar holds the emulator's input patterns. They are compiled on first
// use, not at package init: this package is linked into every alirole run
// (for 'alirole dev sts-emulator'), and compiling them cost each run about
// 0.3 ms of start-up.
type grammar struct {
	roleArn, sessionName, accountID, userName, roleName, externalIDChars, principal *regexp.Regexp
}

var patterns = sync.OnceValue(func() *grammar {
	return &grammar{
		roleArn:         regexp.MustCompile(`^acs:ram::([0-9]{12,16}):role/([A-Za-z0-9._-]{1,64})$`),
		sessionName:     regexp.MustCompile(`^[\w.@-]{2,64}$`),
		accountID:       regexp.MustCompile(`^[0-9]{12,16}$`),
		userName:        regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`),
		roleName:        regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`),
		externalIDChars: regexp.MustCompile(`^[\w+=,.@:/-]+$`),
		principal:       regexp.MustCompile(`^acs:ram::([0-9]{12,16}):(root|user/[^/]+|role/[^/]+)$`),
	}
})
