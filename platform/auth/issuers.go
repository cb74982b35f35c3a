package auth

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuers verifies the tokens of several issuers, each with its own
// Verifier, by issuer name: a service that takes calls from customers
// (tokens of the user service) and from another service (its own tokens)
// checks both with one Issuers. The Verifier is chosen by the token's
// unverified iss claim, which that Verifier then checks with the rest.
type Issuers map[string]*Verifier

// Verify checks token with the Verifier of its issuer; a token of an
// issuer not in is is refused like a token with a wrong issuer.
func (is Issuers) Verify(ctx context.Context, token string) (Claims, error) {
	if err := checkLength(token); err != nil {
		return Claims{}, err
	}
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return Claims{}, unauthenticated("malformed token")
	}
	v, ok := is[c.Issuer]
	if !ok {
		return Claims{}, unauthenticated("wrong issuer")
	}
	return v.Verify(ctx, token)
}

// ServiceTokens signs the tokens with which a service calls others, one
// per audience, and hands the same token out until half of its life has
// passed. It is safe for concurrent use.
type ServiceTokens struct {
	signer  *Signer
	subject string
	now     func() time.Time

	mu     sync.Mutex
	tokens map[string]serviceToken // by audience
}

// serviceToken is a token ServiceTokens signed, and when to sign anew.
type serviceToken struct {
	token string
	renew time.Time
}

// NewServiceTokens returns the ServiceTokens of the service named subject,
// signed by signer, as now tells the time (time.Now when nil).
func NewServiceTokens(signer *Signer, subject string, now func() time.Time) (*ServiceTokens, error) {
	if signer == nil || subject == "" {
		return nil, fmt.Errorf("new service tokens: a signer and a subject are required")
	}
	if now == nil {
		now = time.Now
	}
	return &ServiceTokens{signer: signer, subject: subject, now: now, tokens: make(map[string]serviceToken)}, nil
}

// Token returns a token of role RoleService for calls to audience.
func (s *ServiceTokens) Token(audience string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if t, ok := s.tokens[audience]; ok && now.Before(t.renew) {
		return t.token, nil
	}
	token, expires, err := s.signer.Sign(s.subject, RoleService, audience)
	if err != nil {
		return "", fmt.Errorf("sign service token: %w", err)
	}
	s.tokens[audience] = serviceToken{token: token, renew: now.Add(expires.Sub(now) / 2)}
	return token, nil
}
