// Package resolve turns a profile name into working credentials: it builds
// a credentials-go provider chain from the profile config (a source, then one
// RAMRoleARN provider per role hop), caches every hop's session in the
// keychain, and makes concurrent alirole processes share one STS call per hop.
//
// Role chaining and durations: each hop asks STS for its own configured
// duration (default 3600 s, at most the role's MaxSessionDuration). A chained
// session's lifetime is not bounded by its source session: STS only needs the
// source to be valid when the call is made, and resolve never uses a cached
// source session with less than the expiry window left. If a hop asks for
// more than the role allows, STS answers InvalidParameter.DurationSeconds and
// resolve reports which profile to fix.
package resolve
