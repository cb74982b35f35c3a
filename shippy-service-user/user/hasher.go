package user

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"

	domainuser "github.com/shippy-suite/shippy/domain/user"
)

// Hasher hashes passwords and checks them against a hash. Each call may
// wait for its turn: both return ctx's error when it ends first, and
// domainuser.ErrBusy when too many calls wait already.
type Hasher interface {
	// Hash returns the hash to store for password.
	Hash(ctx context.Context, password string) ([]byte, error)
	// Compare returns nil when password is the one hash was made of, and
	// domainuser.ErrBadCredentials when it is not.
	Compare(ctx context.Context, hash []byte, password string) error
}

// DefaultMaxWaiting is how many bcrypt computations may wait for a turn
// before the next is refused with ErrBusy (BcryptLimits.Waiting).
const DefaultMaxWaiting = 64

// BcryptLimits bound the bcrypt computations of a Bcrypt, each of which
// keeps a core busy for its whole time (about 50 ms at bcrypt.DefaultCost).
type BcryptLimits struct {
	// Running is how many computations run at once; 0 means
	// runtime.GOMAXPROCS(0), one per core the program may use.
	Running int
	// Waiting is how many more calls may wait for a turn, each until its
	// context ends; a call beyond them fails at once with ErrBusy. 0 means
	// DefaultMaxWaiting.
	Waiting int
}

var _ Hasher = (*Bcrypt)(nil)

// Bcrypt is a Hasher with bcrypt (golang.org/x/crypto/bcrypt) at a fixed
// cost. A flood of logins cannot take the service down with it: at most
// BcryptLimits.Running hashes are computed at once, at most
// BcryptLimits.Waiting callers wait for a turn, and the rest are refused
// with ErrBusy, so the other calls of the service still find a core. It is
// safe for concurrent use.
type Bcrypt struct {
	cost       int
	running    chan struct{} // a token per computation running
	waiting    atomic.Int64  // calls waiting for a token
	maxWaiting int64

	// The bcrypt functions, which tests replace.
	generate func(password []byte, cost int) ([]byte, error)
	compare  func(hash, password []byte) error
}

// NewBcrypt returns a Bcrypt that hashes at cost (bcrypt.DefaultCost in
// production; tests use bcrypt.MinCost), within limits.
func NewBcrypt(cost int, limits BcryptLimits) (*Bcrypt, error) {
	switch {
	case cost < bcrypt.MinCost || cost > bcrypt.MaxCost:
		return nil, fmt.Errorf("new bcrypt hasher: cost %d, want %d to %d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	case limits.Running < 0 || limits.Waiting < 0:
		return nil, fmt.Errorf("new bcrypt hasher: negative limits %+v", limits)
	}
	if limits.Running == 0 {
		limits.Running = runtime.GOMAXPROCS(0)
	}
	if limits.Waiting == 0 {
		limits.Waiting = DefaultMaxWaiting
	}
	return &Bcrypt{
		cost:       cost,
		running:    make(chan struct{}, limits.Running),
		maxWaiting: int64(limits.Waiting),
		generate:   bcrypt.GenerateFromPassword,
		compare:    bcrypt.CompareHashAndPassword,
	}, nil
}

// Hash implements Hasher. A password longer than bcrypt's 72 bytes is an
// error (Registration.Validate refuses it first).
func (b *Bcrypt) Hash(ctx context.Context, password string) ([]byte, error) {
	if len(password) > domainuser.MaxPasswordBytes {
		return nil, domainuser.ValidatePassword(password)
	}
	if err := b.acquire(ctx); err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	defer b.release()
	hash, err := b.generate([]byte(password), b.cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// Compare implements Hasher. A hash bcrypt cannot read is an error, not
// ErrBadCredentials.
func (b *Bcrypt) Compare(ctx context.Context, hash []byte, password string) error {
	if err := b.acquire(ctx); err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	defer b.release()
	switch err := b.compare(hash, []byte(password)); {
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return domainuser.ErrBadCredentials
	case err != nil:
		return fmt.Errorf("check password: %w", err)
	}
	return nil
}

// acquire takes a turn to compute: at once when one is free, otherwise
// after waiting until one is, unless ctx ends first (ctx's error) or
// maxWaiting calls wait already (ErrBusy). A caller whose ctx has ended
// gets no turn.
func (b *Bcrypt) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case b.running <- struct{}{}:
		return nil
	default:
	}
	if b.waiting.Add(1) > b.maxWaiting {
		b.waiting.Add(-1)
		return domainuser.ErrBusy
	}
	defer b.waiting.Add(-1)
	select {
	case b.running <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release ends a turn acquire took.
func (b *Bcrypt) release() { <-b.running }
