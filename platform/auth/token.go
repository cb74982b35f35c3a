package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verification limits.
const (
	// MaxTokenLength bounds the tokens Verify parses. A token of the Signer
	// is about 300 bytes.
	MaxTokenLength = 4096
	// Leeway is the clock difference between services that Verify
	// tolerates: a token is accepted until Leeway after it expires, and
	// refused when issued more than Leeway in the future.
	Leeway = 30 * time.Second
)

// algorithm is the only signing algorithm the package signs and accepts.
const algorithm = "EdDSA"

// tokenClaims is the token's JSON payload: the registered claims the Signer
// sets (exp, iat, iss, aud, sub) and the role.
type tokenClaims struct {
	jwt.RegisteredClaims
	Role Role `json:"role"`
}

// Validate is called by the parser after its own checks (whose errors come
// first); it names the claim missing, which they do not, and requires what
// they do not.
func (c *tokenClaims) Validate() error {
	switch {
	case c.ExpiresAt == nil:
		return errClaim("token has no expiry")
	case c.IssuedAt == nil:
		return errClaim("token has no issue time")
	case c.Issuer == "":
		return errClaim("token has no issuer")
	case len(c.Audience) == 0:
		return errClaim("token has no audience")
	case c.Subject == "":
		return errClaim("token has no subject")
	case !c.Role.Valid():
		return errClaim("token has no known role")
	}
	return nil
}

// errClaim is a refusal of a token's claims that Validate words itself.
type errClaim string

func (e errClaim) Error() string { return string(e) }

// Signer signs tokens with one private key. It is safe for concurrent use.
type Signer struct {
	key    PrivateKey
	issuer string
	ttl    time.Duration
	now    func() time.Time
}

// NewSigner returns a Signer of tokens from issuer that expire ttl after
// they are signed, as now tells the time (time.Now when nil). key.ID must be
// empty or KeyID of the key's public half; it becomes the tokens' kid.
func NewSigner(key PrivateKey, issuer string, ttl time.Duration, now func() time.Time) (*Signer, error) {
	if len(key.Key) != ed25519.PrivateKeySize {
		return nil, errors.New("new signer: an Ed25519 private key is required")
	}
	pub := key.Public()
	if key.ID != "" && key.ID != pub.ID {
		return nil, fmt.Errorf("new signer: key id %q is not the key's id %q", key.ID, pub.ID)
	}
	if issuer == "" {
		return nil, errors.New("new signer: an issuer is required")
	}
	if ttl < time.Second {
		return nil, fmt.Errorf("new signer: token lifetime %v, want at least 1s", ttl)
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: PrivateKey{ID: pub.ID, Key: key.Key}, issuer: issuer, ttl: ttl, now: now}, nil
}

// Sign returns a token for subject with role, for the given audiences (the
// names of the services it is meant for, at least one), and when it
// expires. The token carries exp, iat, iss, aud, sub and role, and the key's
// kid in its header: nothing else.
func (s *Signer) Sign(subject string, role Role, audience ...string) (token string, expires time.Time, err error) {
	switch {
	case subject == "":
		return "", time.Time{}, errors.New("sign: a subject is required")
	case !role.Valid():
		return "", time.Time{}, fmt.Errorf("sign: unknown role %q", role)
	case len(audience) == 0 || slicesContainsEmpty(audience):
		return "", time.Time{}, errors.New("sign: an audience is required")
	}
	now := s.now().Truncate(time.Second) // what the token's seconds say
	expires = now.Add(s.ttl)
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings(audience),
			ExpiresAt: jwt.NewNumericDate(expires),
			IssuedAt:  jwt.NewNumericDate(now),
		},
		Role: role,
	})
	t.Header["kid"] = s.key.ID
	token, err = t.SignedString(s.key.Key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign: %w", err)
	}
	return token, expires, nil
}

func slicesContainsEmpty(s []string) bool {
	for _, v := range s {
		if v == "" {
			return true
		}
	}
	return false
}

// KeySource finds the public key a token names by its kid.
type KeySource interface {
	// PublicKey returns the key with id kid: an error matching
	// ErrUnknownKey when the source has none, any other error when it could
	// not be asked (Verify then refuses the token without blaming it).
	PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// ErrUnknownKey is the error of a KeySource that has no key with the kid
// asked for.
var ErrUnknownKey = errors.New("unknown key")

// KeySet is a fixed KeySource. The zero KeySet has no keys.
type KeySet struct {
	keys map[string]ed25519.PublicKey
}

var _ KeySource = KeySet{}

// NewKeySet returns a KeySet of keys, each of which must be named by its
// KeyID.
func NewKeySet(keys ...PublicKey) (KeySet, error) {
	set := KeySet{keys: make(map[string]ed25519.PublicKey, len(keys))}
	for _, k := range keys {
		if err := k.check(); err != nil {
			return KeySet{}, fmt.Errorf("new key set: %w", err)
		}
		set.keys[k.ID] = k.Key
	}
	return set, nil
}

// PublicKey returns the key with id kid, or ErrUnknownKey.
func (s KeySet) PublicKey(_ context.Context, kid string) (ed25519.PublicKey, error) {
	k, ok := s.keys[kid]
	if !ok {
		return nil, ErrUnknownKey
	}
	return k, nil
}

// Verifier checks tokens signed for one audience by one issuer. It is safe
// for concurrent use.
//
// A token that verified is remembered (at most MaxVerified of them) until
// it expires: a caller sends the same token with every call, and checking
// its signature again each time would cost more than most calls. A
// remembered token is still refused once it has expired, or once its key
// is no longer known to the KeySource (a key taken out of service).
type Verifier struct {
	keys   KeySource
	parser *jwt.Parser
	now    func() time.Time

	mu       sync.Mutex
	verified map[string]Claims // by token
}

// MaxVerified bounds the tokens a Verifier remembers: past it, it forgets
// them all and starts again, so a flood of distinct valid tokens costs
// memory for MaxVerified only.
const MaxVerified = 10000

// NewVerifier returns a Verifier of the tokens issuer signs for audience
// (the verifying service's name) with a key of keys, as now tells the time
// (time.Now when nil).
func NewVerifier(keys KeySource, issuer, audience string, now func() time.Time) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("new verifier: a key source is required")
	}
	if issuer == "" || audience == "" {
		return nil, errors.New("new verifier: an issuer and an audience are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Verifier{
		keys:     keys,
		now:      now,
		verified: make(map[string]Claims),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{algorithm}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(Leeway),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(),
		),
	}, nil
}

// checkLength refuses an empty token, and one longer than MaxTokenLength
// before anything parses it.
func checkLength(token string) error {
	if token == "" {
		return unauthenticated("missing token")
	}
	if len(token) > MaxTokenLength {
		return unauthenticated("token too long")
	}
	return nil
}

// errLookup marks a KeySource's failure to answer, as opposed to its not
// knowing the key.
type errLookup struct{ err error }

func (e errLookup) Error() string { return "look up signing key: " + e.err.Error() }
func (e errLookup) Unwrap() error { return e.err }

// errNoKeyID is a token without a kid header.
var errNoKeyID = errors.New("no kid")

// Verify checks token and returns its claims. It requires alg EdDSA, a kid
// naming a key of the KeySource whose signature matches, exp (not past by
// more than Leeway), iat (not ahead by more than Leeway), sub, a known role,
// the issuer and the audience. A refused token gives an error matching
// ErrUnauthenticated whose text says why in a few words and never holds the
// token. When the KeySource fails to answer, the error does not match
// ErrUnauthenticated: the token may be good.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if err := checkLength(token); err != nil {
		return Claims{}, err
	}
	if c, ok := v.remembered(ctx, token); ok {
		return c, nil
	}
	var c tokenClaims
	t, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errNoKeyID
		}
		k, err := v.keys.PublicKey(ctx, kid)
		if err != nil && !errors.Is(err, ErrUnknownKey) {
			return nil, errLookup{err}
		}
		return k, err
	})
	if err != nil {
		var lookup errLookup
		if errors.As(err, &lookup) {
			return Claims{}, fmt.Errorf("verify token: %w", lookup)
		}
		return Claims{}, unauthenticated(refusal(err))
	}
	kid, _ := t.Header["kid"].(string)
	claims := Claims{
		Subject:   c.Subject,
		Role:      c.Role,
		Issuer:    c.Issuer,
		Audience:  c.Audience,
		IssuedAt:  c.IssuedAt.Time,
		ExpiresAt: c.ExpiresAt.Time,
		KeyID:     kid,
	}
	v.remember(token, claims)
	return claims, nil
}

// remembered returns the claims of a token that verified before; ok is
// false when it did not, has expired since, or its key is no longer known
// (then Verify checks it again, and says why it is refused).
func (v *Verifier) remembered(ctx context.Context, token string) (c Claims, ok bool) {
	v.mu.Lock()
	c, ok = v.verified[token]
	if ok && !v.now().Before(c.ExpiresAt.Add(Leeway)) {
		delete(v.verified, token)
		ok = false
	}
	v.mu.Unlock()
	if !ok {
		return Claims{}, false
	}
	if _, err := v.keys.PublicKey(ctx, c.KeyID); err != nil {
		return Claims{}, false // checked again, and refused for it
	}
	return c, true
}

// remember keeps the claims of a token that verified.
func (v *Verifier) remember(token string, c Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.verified) >= MaxVerified {
		clear(v.verified)
	}
	v.verified[token] = c
}

// refusal says in a few words why the parser refused a token. The checks
// run in the parser's order, so the first failure is the one named.
func refusal(err error) string {
	var claim errClaim
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenUnverifiable) && errors.Is(err, errNoKeyID):
		return "token has no key id"
	case errors.Is(err, jwt.ErrTokenUnverifiable) && errors.Is(err, ErrUnknownKey):
		return "unknown signing key"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg missing or not a known algorithm
		return "unsupported signing algorithm"
	case errors.Is(err, jwt.ErrEd25519Verification):
		return "wrong signature"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// WithValidMethods refused alg (none, HS256, RS256, ES256...)
		return "unsupported signing algorithm"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.As(err, &claim):
		return string(claim)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token lacks a required claim"
	case errors.Is(err, jwt.ErrInvalidType):
		return "malformed token"
	}
	return "invalid token"
}
