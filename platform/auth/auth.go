// Package auth is the suite's credentials: Ed25519 keys, the JWTs a user
// service signs for users and services (Signer), their local verification
// by every service (Verifier, against a KeySource of public keys by key
// id), and the go-micro glue: the token in the request metadata, a server
// handler wrapper that refuses calls without a valid token, and the role
// checks handlers make. See docs/auth.md.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Role is what a token's holder may do.
type Role string

// The roles a token can carry.
const (
	RoleCustomer Role = "customer" // books, lists and cancels their own consignments
	RoleOperator Role = "operator" // manages the fleet and sees every consignment
	RoleService  Role = "service"  // a service of the suite calling another
)

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool {
	return slices.Contains([]Role{RoleCustomer, RoleOperator, RoleService}, r)
}

// Claims is what a verified token says about its holder.
type Claims struct {
	Subject   string // the user id, or the calling service's name
	Role      Role
	Issuer    string
	Audience  []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	KeyID     string // the kid of the key that signed the token
}

// ErrUnauthenticated is matched (errors.Is) by every refusal of a token or
// of its absence. The error's text says why in a few words ("token
// expired") and never contains the token.
var ErrUnauthenticated = errors.New("unauthenticated")

// unauthenticated is an error matching ErrUnauthenticated that says why.
func unauthenticated(why string) error {
	return fmt.Errorf("%w: %s", ErrUnauthenticated, why)
}

// claimsKey is the context key of a caller's claims.
type claimsKey struct{}

// caller is what the wrapper puts in a handler's context.
type caller struct {
	claims  Claims
	service string // the service answering the call, the Id of its errors
}

// WithClaims returns a copy of ctx carrying c, as the verified claims of the
// caller.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return withCaller(ctx, c, "")
}

func withCaller(ctx context.Context, c Claims, service string) context.Context {
	return context.WithValue(ctx, claimsKey{}, caller{claims: c, service: service})
}

// ClaimsFrom returns the claims WithClaims or the Wrapper put in ctx, and
// false when there are none.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(caller)
	return c.claims, ok
}
