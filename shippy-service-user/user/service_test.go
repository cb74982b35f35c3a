package user_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/protobuf/testing/protocmp"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	eventspb "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/shippy-service-user/announce"
	"github.com/shippy-suite/shippy/shippy-service-user/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// now is the clock of the services under test: not to the millisecond,
// and not in UTC.
var now = time.Date(2025, 6, 7, 8, 9, 10, 123456789, time.FixedZone("UTC+2", 2*3600))

// countingHasher is a Bcrypt at MinCost that counts its calls and the
// hashes it compares against.
type countingHasher struct {
	*user.Bcrypt
	hashes   atomic.Int32
	mu       sync.Mutex
	compared [][]byte
}

func (h *countingHasher) Hash(ctx context.Context, password string) ([]byte, error) {
	h.hashes.Add(1)
	return h.Bcrypt.Hash(ctx, password)
}

func (h *countingHasher) Compare(ctx context.Context, hash []byte, password string) error {
	h.mu.Lock()
	h.compared = append(h.compared, hash)
	h.mu.Unlock()
	return h.Bcrypt.Compare(ctx, hash, password)
}

// Compared returns the hashes compared against so far.
func (h *countingHasher) Compared() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.compared...)
}

// fixture is a Service over a memory store and a counting hasher.
type fixture struct {
	svc    *user.Service
	repo   user.Repository
	hasher *countingHasher
}

func newFixture(t *testing.T, repo user.Repository) fixture {
	t.Helper()
	b, err := user.NewBcrypt(bcrypt.MinCost, user.BcryptLimits{})
	if err != nil {
		t.Fatalf("NewBcrypt: %v", err)
	}
	h := &countingHasher{Bcrypt: b}
	var ids atomic.Int32
	newID := func() string { return fmt.Sprintf("id-%d", ids.Add(1)) }
	svc, err := user.NewService(repo, h, newAnnouncer(t), newID, func() time.Time { return now })
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return fixture{svc: svc, repo: repo, hasher: h}
}

// newAnnouncer returns the service's Announcer, with event ids event-1,
// event-2, ...
func newAnnouncer(t *testing.T) *announce.Announcer {
	t.Helper()
	var n atomic.Int32
	a, err := announce.New(func() string { return fmt.Sprintf("event-%d", n.Add(1)) })
	if err != nil {
		t.Fatalf("announce.New: %v", err)
	}
	return a
}

func registration(email string) domainuser.Registration {
	return domainuser.Registration{Name: "Ann Smith", Company: "Shippy", Email: email, Password: "correct horse"}
}

func TestNewServiceRefusesNil(t *testing.T) {
	t.Parallel()
	b, err := user.NewBcrypt(bcrypt.MinCost, user.BcryptLimits{})
	if err != nil {
		t.Fatal(err)
	}
	repo, ann, newID, clock := memory.New(), newAnnouncer(t), func() string { return "id" }, time.Now
	tests := []struct {
		name     string
		repo     user.Repository
		hasher   user.Hasher
		announce user.Announcer
		newID    func() string
		now      func() time.Time
	}{
		{"repository", nil, b, ann, newID, clock},
		{"hasher", repo, nil, ann, newID, clock},
		{"announcer", repo, b, nil, newID, clock},
		{"id generator", repo, b, ann, nil, clock},
		{"clock", repo, b, ann, newID, nil},
	}
	for _, tt := range tests {
		if _, err := user.NewService(tt.repo, tt.hasher, tt.announce, tt.newID, tt.now); err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("NewService with a nil %s: error %v, want one naming it", tt.name, err)
		}
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, memory.New())
	got, err := f.svc.Register(ctx, registration("  Ann.Smith@Example.com "))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	want := domainuser.User{
		ID: "id-1", Name: "Ann Smith", Company: "Shippy", Email: "Ann.Smith@Example.com",
		Role: domainuser.RoleCustomer, CreatedAt: now.UTC().Truncate(time.Millisecond),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Register (-want +got):\n%s", diff)
	}
	stored, err := f.repo.Get(ctx, "id-1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(want, stored.User); diff != "" {
		t.Errorf("stored user (-want +got):\n%s", diff)
	}
	if bytes.Contains(stored.PasswordHash, []byte("correct horse")) {
		t.Error("the stored hash contains the password")
	}
	if err := bcrypt.CompareHashAndPassword(stored.PasswordHash, []byte("correct horse")); err != nil {
		t.Errorf("stored hash does not match the password: %v", err)
	}
	if got, err := f.svc.Get(ctx, "id-1"); err != nil || got != want {
		t.Errorf("Get = %+v, %v; want %+v", got, err, want)
	}
}

func TestRegisterRefuses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, memory.New())
	if _, err := f.svc.Register(ctx, registration("ann@example.com")); err != nil {
		t.Fatalf("Register: %v", err)
	}
	hashesBefore := f.hasher.hashes.Load()
	tests := []struct {
		name      string
		r         domainuser.Registration
		want      error
		wantField string
	}{
		{name: "taken email", r: registration("ann@example.com"), want: domainuser.ErrConflict},
		{name: "taken email in other case", r: registration("ANN@Example.com"), want: domainuser.ErrConflict},
		{name: "bad email", r: registration("ann"), want: domainuser.ErrInvalid, wantField: "email"},
		{name: "short password", r: func() domainuser.Registration {
			r := registration("bob@example.com")
			r.Password = "short"
			return r
		}(), want: domainuser.ErrInvalid, wantField: "password"},
		{name: "password over 72 bytes", r: func() domainuser.Registration {
			r := registration("bob@example.com")
			r.Password = strings.Repeat("p", 73)
			return r
		}(), want: domainuser.ErrInvalid, wantField: "password"},
		{name: "no name", r: func() domainuser.Registration {
			r := registration("bob@example.com")
			r.Name = ""
			return r
		}(), want: domainuser.ErrInvalid, wantField: "name"},
	}
	for _, tt := range tests {
		_, err := f.svc.Register(ctx, tt.r)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Register = %v, want %v", tt.name, err, tt.want)
		}
		var fe *domainuser.FieldError
		if tt.wantField != "" && (!errors.As(err, &fe) || fe.Field != tt.wantField) {
			t.Errorf("%s: Register = %v, want a *FieldError on %s", tt.name, err, tt.wantField)
		}
	}
	if n := f.hasher.hashes.Load() - hashesBefore; n != 0 {
		t.Errorf("refused registrations hashed %d passwords, want none", n)
	}
	if users, _, err := f.svc.List(ctx, 0, ""); err != nil || len(users) != 1 {
		t.Errorf("List = %d users, %v; want only the first", len(users), err)
	}
}

// TestRegisterConcurrentSameEmail registers one email at once from many
// callers: exactly one succeeds, the others get ErrConflict.
func TestRegisterConcurrentSameEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, memory.New())
	errs := storetesting.Race(8, func(i int) error {
		email := "ann@example.com"
		if i%2 == 1 {
			email = "Ann@example.com"
		}
		_, err := f.svc.Register(t.Context(), registration(email))
		return err
	})
	if won := storetesting.Winners(t, "Register", errs, domainuser.ErrConflict); len(won) != 1 {
		t.Errorf("registrations %v succeeded, want exactly one", won)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, memory.New())
	ann, err := f.svc.Register(ctx, registration("Ann@example.com"))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	stored, err := f.repo.Get(ctx, ann.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	// The decoy NewService made: the first hash the hasher compared an
	// unknown email's password against is it.
	tests := []struct {
		name            string
		email, password string
		want            error
		// wantCompare: the hash compared against: "stored", "decoy" or ""
		// for none.
		wantCompare string
	}{
		{name: "right password", email: "Ann@example.com", password: "correct horse", wantCompare: "stored"},
		{name: "email in other case, with space", email: " ann@EXAMPLE.com ", password: "correct horse", wantCompare: "stored"},
		{name: "wrong password", email: "ann@example.com", password: "correct horsE", want: domainuser.ErrBadCredentials, wantCompare: "stored"},
		{name: "unknown email", email: "bob@example.com", password: "correct horse", want: domainuser.ErrBadCredentials, wantCompare: "decoy"},
		{name: "unknown email, short password", email: "bob@example.com", password: "x", want: domainuser.ErrBadCredentials, wantCompare: "decoy"},
		{name: "empty password", email: "ann@example.com", password: "", want: domainuser.ErrBadCredentials},
		{name: "password over 72 bytes", email: "ann@example.com", password: "correct horse" + strings.Repeat("!", 60), want: domainuser.ErrBadCredentials},
		{name: "not an email", email: "ann", password: "correct horse", want: domainuser.ErrBadCredentials},
		{name: "huge email", email: strings.Repeat("a", 1<<20) + "@example.com", password: "correct horse", want: domainuser.ErrBadCredentials},
	}
	var decoy []byte
	for _, tt := range tests {
		before := len(f.hasher.Compared())
		got, err := f.svc.Authenticate(ctx, tt.email, tt.password)
		switch {
		case tt.want == nil && (err != nil || got != ann):
			t.Errorf("%s: Authenticate = %+v, %v; want %+v", tt.name, got, err, ann)
		case tt.want != nil && (!errors.Is(err, tt.want) || got != domainuser.User{}):
			t.Errorf("%s: Authenticate = %+v, %v; want %v", tt.name, got, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), tt.password) && tt.password != "" {
			t.Errorf("%s: error %q shows the password", tt.name, err)
		}
		compared := f.hasher.Compared()[before:]
		switch {
		case tt.wantCompare == "" && len(compared) != 0:
			t.Errorf("%s: compared %d hashes, want none", tt.name, len(compared))
		case tt.wantCompare == "":
		case len(compared) != 1:
			t.Errorf("%s: compared %d hashes, want one", tt.name, len(compared))
		case tt.wantCompare == "stored" && !bytes.Equal(compared[0], stored.PasswordHash):
			t.Errorf("%s: compared against %q, want the stored hash", tt.name, compared[0])
		case tt.wantCompare == "decoy":
			if cost, err := bcrypt.Cost(compared[0]); err != nil || cost != bcrypt.MinCost {
				t.Errorf("%s: compared against %q, want a bcrypt hash of the hasher's cost", tt.name, compared[0])
			}
			if bytes.Equal(compared[0], stored.PasswordHash) || decoy != nil && !bytes.Equal(compared[0], decoy) {
				t.Errorf("%s: compared against %q, want the one decoy", tt.name, compared[0])
			}
			decoy = compared[0]
		}
	}
}

// busyHasher refuses every call, as a flooded Bcrypt does.
type busyHasher struct{ hash []byte }

func (h busyHasher) Hash(context.Context, string) ([]byte, error) { return h.hash, nil }
func (busyHasher) Compare(context.Context, []byte, string) error  { return domainuser.ErrBusy }

// TestAuthenticateBusy checks that a busy hasher answers ErrBusy for a
// known and an unknown email alike, never ErrBadCredentials.
func TestAuthenticateBusy(t *testing.T) {
	t.Parallel()
	repo := memory.New()
	f := newFixture(t, repo)
	if _, err := f.svc.Register(t.Context(), registration("ann@example.com")); err != nil {
		t.Fatalf("Register: %v", err)
	}
	svc, err := user.NewService(repo, busyHasher{hash: []byte("decoy")}, newAnnouncer(t), func() string { return "x" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	for _, email := range []string{"ann@example.com", "bob@example.com"} {
		if _, err := svc.Authenticate(t.Context(), email, "correct horse"); !errors.Is(err, domainuser.ErrBusy) {
			t.Errorf("Authenticate(%s) with a busy hasher = %v, want ErrBusy", email, err)
		}
	}
}

// downRepo is a Repository whose store does not answer.
type downRepo struct{ user.Repository }

func (downRepo) GetByEmail(context.Context, string) (user.Account, error) {
	return user.Account{}, fmt.Errorf("get: %w", domainuser.ErrUnavailable)
}

func TestStoreDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, downRepo{memory.New()})
	if _, err := f.svc.Authenticate(t.Context(), "ann@example.com", "correct horse"); !errors.Is(err, domainuser.ErrUnavailable) {
		t.Errorf("Authenticate with the store down = %v, want ErrUnavailable, not bad credentials", err)
	}
	if _, err := f.svc.Register(t.Context(), registration("ann@example.com")); !errors.Is(err, domainuser.ErrUnavailable) {
		t.Errorf("Register with the store down = %v, want ErrUnavailable", err)
	}
}

// limitRepo records the limits List is called with.
type limitRepo struct {
	user.Repository
	limits []int
}

func (r *limitRepo) List(ctx context.Context, limit int, token string) ([]user.Account, string, error) {
	r.limits = append(r.limits, limit)
	return r.Repository.List(ctx, limit, token)
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	repo := &limitRepo{Repository: memory.New()}
	f := newFixture(t, repo)
	for _, email := range []string{"c@example.com", "a@example.com", "b@example.com"} {
		if _, err := f.svc.Register(ctx, registration(email)); err != nil {
			t.Fatalf("Register: %v", err)
		}
	}
	tests := []struct {
		limit, wantLimit int
	}{
		{0, domainuser.DefaultPageSize},
		{1, 1},
		{domainuser.MaxPageSize, domainuser.MaxPageSize},
		{domainuser.MaxPageSize + 1, domainuser.MaxPageSize},
	}
	for _, tt := range tests {
		users, _, err := f.svc.List(ctx, tt.limit, "")
		if err != nil {
			t.Fatalf("List(%d) = %v", tt.limit, err)
		}
		if got := repo.limits[len(repo.limits)-1]; got != tt.wantLimit {
			t.Errorf("List(%d) asked the store for %d, want %d", tt.limit, got, tt.wantLimit)
		}
		if tt.limit == 1 && (len(users) != 1 || users[0].Email != "c@example.com") {
			t.Errorf("List(1) = %+v, want the oldest user", users)
		}
	}
	users, next, err := f.svc.List(ctx, 2, "")
	if err != nil || len(users) != 2 || next == "" {
		t.Fatalf("List(2) = %d users, %q, %v; want 2 and a token", len(users), next, err)
	}
	rest, next, err := f.svc.List(ctx, 2, next)
	if err != nil || len(rest) != 1 || rest[0].Email != "b@example.com" || next != "" {
		t.Errorf("List(2, next) = %+v, %q, %v; want the last user", rest, next, err)
	}
	for limit, token := range map[int]string{-1: "", 1: "bad token"} {
		var fe *domainuser.FieldError
		if _, _, err := f.svc.List(ctx, limit, token); !errors.As(err, &fe) {
			t.Errorf("List(%d, %q) = %v, want a *FieldError", limit, token, err)
		}
	}
}

func TestSetRole(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, memory.New())
	ann, err := f.svc.Register(ctx, registration("ann@example.com"))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	got, err := f.svc.SetRole(ctx, "ANN@example.com", domainuser.RoleOperator)
	want := ann
	want.Role = domainuser.RoleOperator
	if err != nil || got != want {
		t.Errorf("SetRole = %+v, %v; want %+v", got, err, want)
	}
	if got, err := f.svc.Get(ctx, ann.ID); err != nil || got.Role != domainuser.RoleOperator {
		t.Errorf("Get after SetRole = %+v, %v; want an operator", got, err)
	}
	if _, err := f.svc.SetRole(ctx, "bob@example.com", domainuser.RoleOperator); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("SetRole(unknown email) = %v, want ErrNotFound", err)
	}
	var fe *domainuser.FieldError
	if _, err := f.svc.SetRole(ctx, "ann@example.com", "admin"); !errors.As(err, &fe) || fe.Field != "role" {
		t.Errorf("SetRole(admin) = %v, want a *FieldError on role", err)
	}
	if _, err := f.svc.Get(ctx, "missing"); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
}

// TestRegisterAnnounces checks that Register stores the user.created
// event with the account: its id, name and email, never the password or
// its hash.
func TestRegisterAnnounces(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	repo := memory.New()
	f := newFixture(t, repo)
	u, err := f.svc.Register(ctx, registration("ann@example.com"))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	pending, err := repo.Pending(ctx, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("Pending = %v, %v; want one event", pending, err)
	}
	m := pending[0]
	if m.Subject != eventspb.SubjectUserCreated || !m.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("event subject %q, created %v; want %q, %v", m.Subject, m.CreatedAt, eventspb.SubjectUserCreated, u.CreatedAt)
	}
	var got eventspb.UserCreated
	if err := eventspb.Decode(m.ID, m.Data, &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := &eventspb.UserCreated{
		EventId: m.ID, Version: eventspb.Version, OccurredAtUnixMillis: u.CreatedAt.UnixMilli(),
		UserId: u.ID, Name: u.Name, Email: u.Email,
	}
	if diff := cmp.Diff(want, &got, protocmp.Transform()); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
	stored, err := repo.Get(ctx, u.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if bytes.Contains(m.Data, stored.PasswordHash) || bytes.Contains(m.Data, []byte("correct horse")) {
		t.Errorf("event data %q carries the password or its hash", m.Data)
	}
	// A taken email stores no second event.
	if _, err := f.svc.Register(ctx, registration("ANN@example.com")); !errors.Is(err, domainuser.ErrConflict) {
		t.Errorf("Register of a taken email = %v, want ErrConflict", err)
	}
	if n, err := repo.Count(ctx); n != 1 || err != nil {
		t.Errorf("Count after a refused Register = %d, %v; want 1", n, err)
	}
}

// failingAnnouncer cannot make an event.
type failingAnnouncer struct{}

func (failingAnnouncer) Created(domainuser.User) (outbox.Message, error) {
	return outbox.Message{}, errors.New("no event")
}

// TestRegisterNoEventNoUser checks that a registration whose event cannot
// be made stores nothing: no user without the event that announces it.
func TestRegisterNoEventNoUser(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	repo := memory.New()
	b, err := user.NewBcrypt(bcrypt.MinCost, user.BcryptLimits{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := user.NewService(repo, b, failingAnnouncer{}, func() string { return "id-1" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	if _, err := svc.Register(ctx, registration("ann@example.com")); err == nil {
		t.Fatalf("Register with a failing announcer = nil, want an error")
	}
	if _, err := repo.Get(ctx, "id-1"); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("Get after the failed Register = %v, want ErrNotFound", err)
	}
	if n, err := repo.Count(ctx); n != 0 || err != nil {
		t.Errorf("Count = %d, %v; want 0", n, err)
	}
}
