package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shippy-suite/shippy/platform/auth"
)

const (
	issuer   = "shippy.service.user"
	audience = "shippy.service.consignment"
)

// t0 is the time the tests' clocks show when a test does not move them.
var t0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// clock returns a now function that always says t.
func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustKey(tb testing.TB) auth.PrivateKey {
	tb.Helper()
	k, err := auth.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func mustSigner(tb testing.TB, key auth.PrivateKey, iss string, now time.Time) *auth.Signer {
	tb.Helper()
	s, err := auth.NewSigner(key, iss, 15*time.Minute, clock(now))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func mustSign(tb testing.TB, s *auth.Signer, subject string, role auth.Role, aud ...string) string {
	tb.Helper()
	tok, _, err := s.Sign(subject, role, aud...)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func mustVerifier(tb testing.TB, now time.Time, keys ...auth.PublicKey) *auth.Verifier {
	tb.Helper()
	set, err := auth.NewKeySet(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := auth.NewVerifier(set, issuer, audience, clock(now))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// forge signs claims with method and key, with header fields added: the
// tokens the Signer never makes.
func forge(tb testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	tb.Helper()
	tok := jwt.NewWithClaims(method, claims)
	maps.Copy(tok.Header, header)
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// validClaims are the claims of a good token at t0, as a map to change.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": issuer, "aud": []string{audience}, "sub": "u1", "role": "customer",
		"iat": t0.Unix(), "exp": t0.Add(15 * time.Minute).Unix(),
	}
}

// with returns validClaims changed: a nil value deletes the claim.
func with(changes jwt.MapClaims) jwt.MapClaims {
	c := validClaims()
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	s := mustSigner(t, key, issuer, t0.Add(500*time.Millisecond))
	tok, exp, err := s.Sign("u1", auth.RoleOperator, audience, "shippy.service.vessel")
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(15 * time.Minute); !exp.Equal(want) {
		t.Errorf("expires = %v, want %v (whole seconds)", exp, want)
	}
	got, err := mustVerifier(t, t0, key.Public()).Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := auth.Claims{
		Subject: "u1", Role: auth.RoleOperator, Issuer: issuer,
		Audience: []string{audience, "shippy.service.vessel"},
		IssuedAt: t0, ExpiresAt: t0.Add(15 * time.Minute), KeyID: key.ID,
	}
	if !claimsEqual(got, want) {
		t.Errorf("Verify() = %+v, want %+v", got, want)
	}
}

func claimsEqual(a, b auth.Claims) bool {
	return a.Subject == b.Subject && a.Role == b.Role && a.Issuer == b.Issuer &&
		slices.Equal(a.Audience, b.Audience) && a.IssuedAt.Equal(b.IssuedAt) &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.KeyID == b.KeyID
}

// TestSignedContents checks that a token holds the claims and header
// fields listed, and nothing else.
func TestSignedContents(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	tok := mustSign(t, mustSigner(t, key, issuer, t0), "u1", auth.RoleCustomer, audience)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	decode := func(seg string) map[string]any {
		t.Helper()
		raw, err := base64.RawURLEncoding.DecodeString(seg)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	header, payload := decode(parts[0]), decode(parts[1])
	if got, want := slices.Sorted(maps.Keys(header)), []string{"alg", "kid", "typ"}; !slices.Equal(got, want) {
		t.Errorf("header fields = %v, want %v", got, want)
	}
	if header["alg"] != "EdDSA" || header["kid"] != key.ID {
		t.Errorf("header = %v, want alg EdDSA and kid %s", header, key.ID)
	}
	if got, want := slices.Sorted(maps.Keys(payload)), []string{"aud", "exp", "iat", "iss", "role", "sub"}; !slices.Equal(got, want) {
		t.Errorf("claims = %v, want %v", got, want)
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	key, other := mustKey(t), mustKey(t)
	signer := mustSigner(t, key, issuer, t0)
	good := mustSign(t, signer, "u1", auth.RoleCustomer, audience)
	kid := map[string]any{"kid": key.ID}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// The public key as an HMAC secret: the algorithm-confusion attack.
	hmacSecret := []byte(key.Public().Key)
	tampered := func() string {
		parts := strings.Split(good, ".")
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"aud":["` + audience + `"],"exp":` +
			jsonInt(t0.Add(time.Hour).Unix()) + `,"iat":` + jsonInt(t0.Unix()) + `,"iss":"` + issuer + `","role":"operator","sub":"u1"}`))
		return strings.Join(parts, ".")
	}()

	tests := []struct {
		name  string
		token string
		now   time.Time
		why   string
	}{
		{"empty", "", t0, "missing token"},
		{"not a JWT", "abc", t0, "malformed token"},
		// 86 characters of signature: 84 decode whole (63 bytes), 85 never do.
		{"truncated signature", good[:len(good)-2], t0, "wrong signature"},
		{"truncated to a bad length", good[:len(good)-1], t0, "malformed token"},
		{"truncated to two parts", good[:strings.LastIndex(good, ".")], t0, "malformed token"},
		{"truncated in the payload", good[:strings.Index(good, ".")+10], t0, "malformed token"},
		{"oversized", good + strings.Repeat("A", auth.MaxTokenLength), t0, "token too long"},
		{"signed with another key, its own kid",
			mustSign(t, mustSigner(t, other, issuer, t0), "u1", auth.RoleCustomer, audience), t0, "unknown signing key"},
		{"signed with another key, our kid",
			forge(t, jwt.SigningMethodEdDSA, other.Key, kid, validClaims()), t0, "wrong signature"},
		{"payload changed", tampered, t0, "wrong signature"},
		{"alg none", forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, validClaims()), t0, "unsupported signing algorithm"},
		{"alg HS256 keyed with the public key", forge(t, jwt.SigningMethodHS256, hmacSecret, kid, validClaims()), t0, "unsupported signing algorithm"},
		{"alg RS256", forge(t, jwt.SigningMethodRS256, rsaKey, kid, validClaims()), t0, "unsupported signing algorithm"},
		{"alg ES256", forge(t, jwt.SigningMethodES256, ecKey, kid, validClaims()), t0, "unsupported signing algorithm"},
		{"alg unknown", withHeader(t, good, "alg", "XX9"), t0, "unsupported signing algorithm"},
		{"no kid", forge(t, jwt.SigningMethodEdDSA, key.Key, nil, validClaims()), t0, "token has no key id"},
		{"expired", good, t0.Add(15*time.Minute + auth.Leeway + time.Second), "token expired"},
		{"another audience", mustSign(t, signer, "u1", auth.RoleCustomer, "shippy.service.vessel"), t0, "wrong audience"},
		{"another issuer", mustSign(t, mustSigner(t, key, "someone.else", t0), "u1", auth.RoleCustomer, audience), t0, "wrong issuer"},
		{"issued in the future", good, t0.Add(-auth.Leeway - time.Second), "token issued in the future"},
		{"not valid yet", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"nbf": t0.Add(time.Hour).Unix()})), t0, "token not valid yet"},
		{"no exp", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"exp": nil})), t0, "token has no expiry"},
		{"no iat", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"iat": nil})), t0, "token has no issue time"},
		{"no iss", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"iss": nil})), t0, "token has no issuer"},
		{"no aud", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"aud": nil})), t0, "token has no audience"},
		{"no sub", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"sub": nil})), t0, "token has no subject"},
		{"unknown role", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"role": "admin"})), t0, "token has no known role"},
		{"exp not a number", forge(t, jwt.SigningMethodEdDSA, key.Key, kid, with(jwt.MapClaims{"exp": "soon"})), t0, "malformed token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := mustVerifier(t, tt.now, key.Public())
			_, err := v.Verify(t.Context(), tt.token)
			if !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("Verify() error = %v, want one matching ErrUnauthenticated", err)
			}
			if got, want := err.Error(), "unauthenticated: "+tt.why; got != want {
				t.Errorf("Verify() error = %q, want %q", got, want)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Error("the error holds the token")
			}
		})
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// withHeader returns tok with one header field set, its signature kept.
func withHeader(tb testing.TB, tok, field, value string) string {
	tb.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		tb.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		tb.Fatal(err)
	}
	h[field] = value
	raw, err = json.Marshal(h)
	if err != nil {
		tb.Fatal(err)
	}
	parts[0] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestVerifyLeeway(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	tok := mustSign(t, mustSigner(t, key, issuer, t0), "u1", auth.RoleCustomer, audience)
	tests := []struct {
		name string
		now  time.Time
	}{
		{"issued a little ahead of our clock", t0.Add(-auth.Leeway + time.Second)},
		{"expired a little before our clock", t0.Add(15*time.Minute + auth.Leeway - time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := mustVerifier(t, tt.now, key.Public()).Verify(t.Context(), tok); err != nil {
				t.Errorf("Verify() = %v, want the token accepted", err)
			}
		})
	}
}

func TestVerifyRotation(t *testing.T) {
	t.Parallel()
	old, current := mustKey(t), mustKey(t)
	v := mustVerifier(t, t0, old.Public(), current.Public())
	for _, k := range []auth.PrivateKey{old, current} {
		tok := mustSign(t, mustSigner(t, k, issuer, t0), "u1", auth.RoleCustomer, audience)
		c, err := v.Verify(t.Context(), tok)
		if err != nil {
			t.Fatalf("key %s: Verify() = %v", k.ID, err)
		}
		if c.KeyID != k.ID {
			t.Errorf("KeyID = %s, want %s", c.KeyID, k.ID)
		}
	}
}

// failingKeys is a KeySource that cannot be asked.
type failingKeys struct{}

func (failingKeys) PublicKey(context.Context, string) (ed25519.PublicKey, error) {
	return nil, errors.New("registry lookup failed")
}

func TestVerifyKeySourceFails(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	v, err := auth.NewVerifier(failingKeys{}, issuer, audience, clock(t0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), mustSign(t, mustSigner(t, key, issuer, t0), "u1", auth.RoleCustomer, audience))
	if err == nil || errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Verify() = %v, want an error not blaming the token", err)
	}
}

func TestNewSignerRefuses(t *testing.T) {
	t.Parallel()
	key := mustKey(t)
	tests := []struct {
		name   string
		key    auth.PrivateKey
		issuer string
		ttl    time.Duration
	}{
		{"no key", auth.PrivateKey{}, issuer, time.Minute},
		{"key id not the key's", auth.PrivateKey{ID: "someone-else", Key: key.Key}, issuer, time.Minute},
		{"no issuer", key, "", time.Minute},
		{"no lifetime", key, issuer, 0},
		{"negative lifetime", key, issuer, -time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := auth.NewSigner(tt.key, tt.issuer, tt.ttl, nil); err == nil {
				t.Error("NewSigner() = nil error")
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	t.Parallel()
	s := mustSigner(t, mustKey(t), issuer, t0)
	tests := []struct {
		name    string
		subject string
		role    auth.Role
		aud     []string
	}{
		{"no subject", "", auth.RoleCustomer, []string{audience}},
		{"unknown role", "u1", "admin", []string{audience}},
		{"no audience", "u1", auth.RoleCustomer, nil},
		{"an empty audience", "u1", auth.RoleCustomer, []string{audience, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tok, _, err := s.Sign(tt.subject, tt.role, tt.aud...); err == nil {
				t.Errorf("Sign() = %q, want an error", tok)
			}
		})
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		keys             auth.KeySource
		issuer, audience string
	}{
		{"no keys", nil, issuer, audience},
		{"no issuer", auth.KeySet{}, "", audience},
		{"no audience", auth.KeySet{}, issuer, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := auth.NewVerifier(tt.keys, tt.issuer, tt.audience, nil); err == nil {
				t.Error("NewVerifier() = nil error")
			}
		})
	}
}

func TestNewKeySetRefuses(t *testing.T) {
	t.Parallel()
	pub := mustKey(t).Public()
	tests := []struct {
		name string
		key  auth.PublicKey
	}{
		{"wrong kid", auth.PublicKey{ID: "x", Key: pub.Key}},
		{"short key", auth.PublicKey{ID: pub.ID, Key: pub.Key[:31]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := auth.NewKeySet(tt.key); err == nil {
				t.Error("NewKeySet() = nil error")
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	key := mustKey(f)
	s := mustSigner(f, key, issuer, t0)
	good := mustSign(f, s, "u1", auth.RoleCustomer, audience)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(forge(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": key.ID}, validClaims()))
	f.Add("a.b.c")
	f.Add("")
	v := mustVerifier(f, t0, key.Public())
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(t.Context(), tok)
		if err != nil {
			if !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("Verify() error %v does not match ErrUnauthenticated", err)
			}
			if len(tok) > 8 && strings.Contains(err.Error(), tok) {
				t.Fatal("the error holds the token")
			}
			return
		}
		if c.Subject == "" || !c.Role.Valid() || c.KeyID != key.ID || c.Issuer != issuer || !slices.Contains(c.Audience, audience) {
			t.Fatalf("Verify() accepted claims %+v", c)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	key := mustKey(b)
	signer := mustSigner(b, key, issuer, t0)
	ctx := context.Background()
	b.Run("first", func(b *testing.B) {
		tokens := make([]string, b.N)
		for i := range tokens {
			tokens[i] = mustSign(b, signer, fmt.Sprintf("user-%d", i), auth.RoleCustomer, audience)
		}
		v := mustVerifier(b, t0, key.Public())
		b.ReportAllocs()
		b.ResetTimer()
		for _, tok := range tokens {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("remembered", func(b *testing.B) {
		tok := mustSign(b, signer, "user-1", auth.RoleCustomer, audience)
		v := mustVerifier(b, t0, key.Public())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// swappableKeys is a KeySource whose keys a test changes.
type swappableKeys struct {
	mu  sync.Mutex
	set auth.KeySet
}

func (s *swappableKeys) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set.PublicKey(ctx, kid)
}

func (s *swappableKeys) swap(t *testing.T, keys ...auth.PublicKey) {
	t.Helper()
	set, err := auth.NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set = set
}

// TestVerifyRemembers checks that a token that verified once is still
// refused once it expires, or once its key is no longer known.
func TestVerifyRemembers(t *testing.T) {
	key := mustKey(t)
	tok := mustSign(t, mustSigner(t, key, issuer, t0), "u1", auth.RoleCustomer, audience)
	keys := &swappableKeys{}
	keys.swap(t, key.Public())
	clock := &movingClock{now: t0}
	v, err := auth.NewVerifier(keys, issuer, audience, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // verified, then remembered
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}

	keys.swap(t) // the key taken out of service
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), "unknown signing key") {
		t.Errorf("Verify of a remembered token whose key is gone = %v; want unknown signing key", err)
	}

	keys.swap(t, key.Public())
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify with the key back: %v", err)
	}
	clock.Add(15*time.Minute + auth.Leeway) // the signer's TTL
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("Verify of a remembered token after it expired = %v; want token expired", err)
	}
}
