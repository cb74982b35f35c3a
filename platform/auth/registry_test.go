package auth_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/registry"

	"github.com/shippy-suite/shippy/platform/auth"
)

// movingClock is a clock the test moves.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// publish registers an instance of issuer in reg under node, publishing
// keys (which may be a broken value).
func publish(t *testing.T, reg registry.Registry, node, keys string) {
	t.Helper()
	err := reg.Register(&registry.Service{Name: issuer, Version: "latest", Nodes: []*registry.Node{{
		Id: node, Address: "127.0.0.1:1", Metadata: map[string]string{auth.MetadataKey: keys},
	}}})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
}

func TestRegistryKeys(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	clock := &movingClock{now: t0}
	keys, err := auth.NewRegistryKeys(reg, issuer, clock.Now)
	if err != nil {
		t.Fatalf("NewRegistryKeys: %v", err)
	}
	k1, k2 := mustKey(t), mustKey(t)

	if _, err := keys.PublicKey(t.Context(), k1.ID); err == nil || errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("no instance registered: got %v, want a lookup error (not ErrUnknownKey: the token may be good)", err)
	}
	publish(t, reg, "a", auth.EncodePublicKeys([]auth.PublicKey{k1.Public()}))
	if _, err := keys.PublicKey(t.Context(), k1.ID); err == nil {
		t.Fatal("a lookup within MinRefresh of a failed one was made; want the failure again")
	}

	clock.Add(auth.MinRefresh)
	if got, err := keys.PublicKey(t.Context(), k1.ID); err != nil || !got.Equal(k1.Key.Public()) {
		t.Fatalf("PublicKey(k1) after the instance registered = %v, %v; want its key", got, err)
	}
	// A second instance, and one whose keys do not parse, which must not
	// take the others' away.
	publish(t, reg, "b", auth.EncodePublicKeys([]auth.PublicKey{k2.Public()}))
	publish(t, reg, "c", "not keys")
	if _, err := keys.PublicKey(t.Context(), k2.ID); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("PublicKey(k2) within MinRefresh of the last lookup = %v; want ErrUnknownKey", err)
	}
	clock.Add(auth.MinRefresh)
	for _, k := range []auth.PrivateKey{k1, k2} {
		if _, err := keys.PublicKey(t.Context(), k.ID); err != nil {
			t.Fatalf("PublicKey(%s) with both instances registered: %v", k.ID, err)
		}
	}

	// A key no instance publishes any more is not trusted after the next
	// lookup.
	if err := reg.Deregister(&registry.Service{Name: issuer, Version: "latest", Nodes: []*registry.Node{{Id: "a"}}}); err != nil {
		t.Fatalf("Deregister: %v", err)
	}
	clock.Add(auth.MinRefresh)
	if _, err := keys.PublicKey(t.Context(), "unknownkid000000"); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("PublicKey(unknown) = %v; want ErrUnknownKey", err)
	}
	if _, err := keys.PublicKey(t.Context(), k1.ID); !errors.Is(err, auth.ErrUnknownKey) {
		t.Fatalf("PublicKey(k1) after its instance left = %v; want ErrUnknownKey", err)
	}
}

func TestRegistryVerifier(t *testing.T) {
	reg := registry.NewMemoryRegistry()
	k := mustKey(t)
	publish(t, reg, "a", auth.EncodePublicKeys([]auth.PublicKey{k.Public()}))
	signer, err := auth.NewSigner(k, issuer, time.Hour, nil)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	verifier, err := auth.NewRegistryVerifier(reg, issuer, audience)
	if err != nil {
		t.Fatalf("NewRegistryVerifier: %v", err)
	}
	token, _, err := signer.Sign("user-1", auth.RoleCustomer, audience)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if c, err := verifier.Verify(t.Context(), token); err != nil || c.Subject != "user-1" {
		t.Fatalf("Verify = %+v, %v; want the claims of user-1", c, err)
	}
	other, _, err := signer.Sign("user-1", auth.RoleCustomer, "another audience")
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if _, err := verifier.Verify(t.Context(), other); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("Verify(a token for another audience) = %v, want ErrUnauthenticated", err)
	}
}
