package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
)

// MetadataKey is the registry node metadata key under which a service
// publishes the public keys that verify the tokens it signs, in
// EncodePublicKeys's form.
const MetadataKey = "auth-public-keys"

// MinRefresh is how long RegistryKeys waits between two lookups that a
// token with an unknown key asks for: a flood of tokens with made-up kids
// costs one registry lookup a second.
const MinRefresh = time.Second

// RegistryKeys is a KeySource of the keys that the running instances of
// one service publish under MetadataKey in their registry entries. It
// looks them up when asked for a key it does not know, at most once every
// MinRefresh, and then knows the keys of the instances listed at that
// lookup only: a key that an instance no longer publishes is no longer
// trusted. It is safe for concurrent use.
//
// The registry is trusted: whoever can register the service can publish
// keys for it, as it could take its calls. Where the registry is shared
// with untrusted parties, use a KeySet from files (LoadPublicKeys).
type RegistryKeys struct {
	reg     registry.Registry
	service string
	now     func() time.Time

	lookups sync.Mutex // held by the one lookup at a time

	mu      sync.Mutex
	keys    map[string]ed25519.PublicKey
	checked time.Time // when the last lookup ended; zero before the first
	failed  error     // the last lookup's error, or nil
}

var _ KeySource = (*RegistryKeys)(nil)

// NewRegistryKeys returns the RegistryKeys of service in reg, as now
// tells the time (time.Now when nil).
func NewRegistryKeys(reg registry.Registry, service string, now func() time.Time) (*RegistryKeys, error) {
	if reg == nil || service == "" {
		return nil, errors.New("new registry keys: a registry and a service name are required")
	}
	if now == nil {
		now = time.Now
	}
	return &RegistryKeys{reg: reg, service: service, now: now}, nil
}

// PublicKey returns the key with id kid. When it is not known, it looks
// the service up, unless the last lookup ended less than MinRefresh ago:
// then the answer is that lookup's (ErrUnknownKey, or its error).
func (r *RegistryKeys) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	if k, done, err := r.cached(kid, false); done {
		return k, err
	}
	r.lookups.Lock()
	defer r.lookups.Unlock()
	// A lookup that ended while this call waited may have brought kid.
	if k, done, err := r.cached(kid, true); done {
		return k, err
	}
	keys, err := r.lookup(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checked, r.failed = r.now(), err
	if err != nil {
		return nil, err
	}
	r.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// cached answers from what the last lookup found: done is false when kid
// is unknown and a lookup is due (or, with fresh false, when kid is
// unknown at all).
func (r *RegistryKeys) cached(kid string, fresh bool) (k ed25519.PublicKey, done bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k, ok := r.keys[kid]; ok {
		return k, true, nil
	}
	if !fresh || r.checked.IsZero() || r.now().Sub(r.checked) >= MinRefresh {
		return nil, false, nil
	}
	if r.failed != nil {
		return nil, true, r.failed
	}
	return nil, true, ErrUnknownKey
}

// lookup reads the keys every instance of the service publishes. An
// instance whose keys do not parse is skipped: it cannot take the others'
// keys away.
func (r *RegistryKeys) lookup(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	services, err := r.reg.GetService(r.service, registry.GetContext(ctx))
	if errors.Is(err, registry.ErrNotFound) {
		return nil, fmt.Errorf("no %s instance is registered to publish its keys", r.service)
	}
	if err != nil {
		return nil, fmt.Errorf("look up the keys of %s: %w", r.service, err)
	}
	keys := make(map[string]ed25519.PublicKey)
	for _, s := range services {
		for _, n := range s.Nodes {
			published, err := ParsePublicKeys(n.Metadata[MetadataKey])
			if err != nil {
				continue
			}
			for _, k := range published {
				keys[k.ID] = k.Key
			}
		}
	}
	return keys, nil
}

// NewRegistryVerifier returns the Verifier of the tokens that service
// signs, as their issuer, for audience, with the public keys that the
// service's running instances publish in reg (RegistryKeys): how a service
// checks its callers' tokens locally, with no call to their issuer.
func NewRegistryVerifier(reg registry.Registry, service, audience string) (*Verifier, error) {
	keys, err := NewRegistryKeys(reg, service, time.Now)
	if err != nil {
		return nil, err
	}
	return NewVerifier(keys, service, audience, time.Now)
}
