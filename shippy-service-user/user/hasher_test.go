package user

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	domainuser "github.com/shippy-suite/shippy/domain/user"
)

func TestBcryptHashAndCompare(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	b, err := NewBcrypt(bcrypt.MinCost, BcryptLimits{})
	if err != nil {
		t.Fatalf("NewBcrypt: %v", err)
	}
	hash, err := b.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	if strings.Contains(string(hash), "correct horse") {
		t.Fatalf("hash %q contains the password", hash)
	}
	if cost, err := bcrypt.Cost(hash); err != nil || cost != bcrypt.MinCost {
		t.Errorf("bcrypt.Cost(hash) = %d, %v; want %d", cost, err, bcrypt.MinCost)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		hash     []byte
		password string
		want     error // nil: want nil; errAny: an error other than ErrBadCredentials
	}{
		{name: "right password", ctx: ctx, hash: hash, password: "correct horse"},
		{name: "wrong password", ctx: ctx, hash: hash, password: "correct horsE", want: domainuser.ErrBadCredentials},
		{name: "prefix of the password", ctx: ctx, hash: hash, password: "correct hors", want: domainuser.ErrBadCredentials},
		{name: "empty password", ctx: ctx, hash: hash, password: "", want: domainuser.ErrBadCredentials},
		{name: "not a hash", ctx: ctx, hash: []byte("plain"), password: "plain", want: errAny},
		{name: "context ended", ctx: canceled, hash: hash, password: "correct horse", want: context.Canceled},
	}
	for _, tt := range tests {
		err := b.Compare(tt.ctx, tt.hash, tt.password)
		switch {
		case tt.want == nil && err != nil,
			tt.want == errAny && (err == nil || errors.Is(err, domainuser.ErrBadCredentials)),
			tt.want != nil && tt.want != errAny && !errors.Is(err, tt.want):
			t.Errorf("%s: Compare = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := b.Hash(ctx, strings.Repeat("p", 73)); !errors.Is(err, domainuser.ErrInvalid) {
		t.Errorf("Hash(73 bytes) = %v, want ErrInvalid (never truncated)", err)
	}
	if _, err := b.Hash(canceled, "correct horse"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with a canceled context = %v, want context.Canceled", err)
	}
}

// errAny stands for any error but ErrBadCredentials in a test table.
var errAny = errors.New("any error but bad credentials")

func TestNewBcryptRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cost   int
		limits BcryptLimits
	}{
		{"cost too low", bcrypt.MinCost - 1, BcryptLimits{}},
		{"cost too high", bcrypt.MaxCost + 1, BcryptLimits{}},
		{"negative running", bcrypt.MinCost, BcryptLimits{Running: -1}},
		{"negative waiting", bcrypt.MinCost, BcryptLimits{Waiting: -1}},
	}
	for _, tt := range tests {
		if _, err := NewBcrypt(tt.cost, tt.limits); err == nil {
			t.Errorf("%s: NewBcrypt(%d, %+v) = nil error, want one", tt.name, tt.cost, tt.limits)
		}
	}
}

// TestBcryptLimits floods a Bcrypt whose computations block until the test
// lets them go: no more than Running compute at once, Waiting more wait,
// the next is refused at once with ErrBusy, and a waiter whose context ends
// gives up its place.
func TestBcryptLimits(t *testing.T) {
	t.Parallel()
	const running, waiting = 2, 3
	b, err := NewBcrypt(bcrypt.MinCost, BcryptLimits{Running: running, Waiting: waiting})
	if err != nil {
		t.Fatalf("NewBcrypt: %v", err)
	}
	var inFlight, maxInFlight atomic.Int32
	release := make(chan struct{})
	b.compare = func(hash, password []byte) error {
		n := inFlight.Add(1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		<-release
		inFlight.Add(-1)
		return nil
	}

	var wg sync.WaitGroup
	errs := make(chan error, running+waiting)
	compare := func(ctx context.Context) {
		wg.Go(func() { errs <- b.Compare(ctx, []byte("h"), "p") })
	}
	for range running {
		compare(t.Context())
	}
	waitFor(t, "the computations to start", func() bool { return inFlight.Load() == running })
	leaving, leave := context.WithCancel(t.Context())
	compare(leaving)
	for range waiting - 1 {
		compare(t.Context())
	}
	waitFor(t, "the callers to wait", func() bool { return b.waiting.Load() == waiting })

	start := time.Now()
	if err := b.Compare(t.Context(), []byte("h"), "p"); !errors.Is(err, domainuser.ErrBusy) {
		t.Errorf("Compare with every place taken = %v, want ErrBusy", err)
	}
	if _, err := b.Hash(t.Context(), "p"); !errors.Is(err, domainuser.ErrBusy) {
		t.Errorf("Hash with every place taken = %v, want ErrBusy", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusals took %v, want them at once", d)
	}

	leave()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Errorf("the waiter whose context ended: Compare = %v, want context.Canceled", err)
	}
	waitFor(t, "the waiter to leave", func() bool { return b.waiting.Load() == waiting-1 })

	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Compare = %v, want nil once it had its turn", err)
		}
	}
	if got := maxInFlight.Load(); got != running {
		t.Errorf("at most %d computations ran at once, want %d", got, running)
	}
	if b.waiting.Load() != 0 || len(b.running) != 0 {
		t.Errorf("after every call: %d waiting, %d running; want none", b.waiting.Load(), len(b.running))
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestBcryptDefaults(t *testing.T) {
	t.Parallel()
	b, err := NewBcrypt(bcrypt.DefaultCost, BcryptLimits{})
	if err != nil {
		t.Fatalf("NewBcrypt: %v", err)
	}
	if b.cost != bcrypt.DefaultCost || cap(b.running) != runtime.GOMAXPROCS(0) || b.maxWaiting != DefaultMaxWaiting {
		t.Errorf("NewBcrypt(DefaultCost, zero limits) = cost %d, running %d, waiting %d; want %d, GOMAXPROCS, %d",
			b.cost, cap(b.running), b.maxWaiting, bcrypt.DefaultCost, DefaultMaxWaiting)
	}
}
