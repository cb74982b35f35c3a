// Package storetest is the contract every user.Repository keeps. Each
// store's tests run it (Run) with a function that opens an empty
// repository.
//
// open is called once per subtest and subtests run in parallel, so each call
// must return its own empty repository (its own database or file) and
// clean it up with t.Cleanup.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/outbox/outboxtest"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// Repository is what every user store is: the domain's repository and
// the outbox of the events Create stores (outbox.Store).
type Repository = interface {
	user.Repository
	outbox.Store
}

// Run runs the contract suite, the outbox's included (outboxtest), on the
// repositories open returns, adapted to the backend by opts (see
// storetesting.RunSuite).
func Run(t *testing.T, open func(t *testing.T) Repository, opts ...storetesting.Options) {
	t.Helper()
	storetesting.RunSuite(t, append([]storetesting.Test[Repository]{
		{Name: "CreateThenGet", Run: testCreateThenGet},
		{Name: "GetMissing", Run: testGetMissing},
		{Name: "GetByEmailAnyCase", Run: testGetByEmailAnyCase},
		{Name: "CreateTaken", Run: testCreateTaken},
		{Name: "KeepsCopies", Run: testKeepsCopies},
		{Name: "ListEmpty", Run: testListEmpty},
		{Name: "ListAllInCreationOrder", Run: testListAllInCreationOrder},
		{Name: "ListPages", Run: testListPages},
		{Name: "ListPageSeesLaterCreates", Run: testListPageSeesLaterCreates},
		{Name: "ListBadPageToken", Run: testListBadPageToken},
		{Name: "SetRole", Run: testSetRole},
		{Name: "CreateAfterContextEnded", Run: testCreateAfterContextEnded},
		{Name: "ConcurrentCreatesSameEmail", Run: testConcurrentCreatesSameEmail},
		{Name: "ConcurrentCreatesDistinctEmails", Run: testConcurrentCreatesDistinctEmails},
	}, outboxtest.Tests(outboxTarget)...), open, opts...)
}

// created is the CreatedAt of the accounts NewAccount returns: a time to
// the millisecond, in UTC, as every repository keeps it.
var created = time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)

// NewAccount returns a customer's account with the id and the email.
func NewAccount(id, email string) user.Account {
	return user.Account{
		User: domainuser.User{
			ID:        id,
			Name:      "User " + id,
			Company:   "Company of " + id,
			Email:     email,
			Role:      domainuser.RoleCustomer,
			CreatedAt: created,
		},
		PasswordHash: []byte("$2a$04$hash-of-" + id),
	}
}

// account returns NewAccount(id, id+"@example.com").
func account(id string) user.Account {
	return NewAccount(id, id+"@example.com")
}

// mustCreate stores each account, failing the test on an error.
func mustCreate(t *testing.T, repo user.Repository, as ...user.Account) {
	t.Helper()
	for _, a := range as {
		if err := repo.Create(context.Background(), a); err != nil {
			t.Fatalf("Create(%q) = %v, want nil", a.ID, err)
		}
	}
}

// assertStored checks that the repository holds want under its id and its
// email; what says what is checked, for the message.
func assertStored(t *testing.T, repo user.Repository, want user.Account, what string) {
	t.Helper()
	got, err := repo.Get(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("%s: Get(%q) = %v", what, want.ID, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: Get (-want +got):\n%s", what, diff)
	}
	got, err = repo.GetByEmail(context.Background(), want.Email)
	if err != nil {
		t.Fatalf("%s: GetByEmail(%q) = %v", what, want.Email, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: GetByEmail (-want +got):\n%s", what, diff)
	}
}

// ids returns the ids of as, in order.
func ids(as []user.Account) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

// listAll follows every page of limit accounts and returns the ids, in
// order, and the number of pages.
func listAll(t *testing.T, repo user.Repository, limit int) (got []string, pages int) {
	t.Helper()
	token := ""
	for {
		items, next, err := repo.List(context.Background(), limit, token)
		if err != nil {
			t.Fatalf("List(%d, %q) = %v, want nil", limit, token, err)
		}
		pages++
		if len(items) > limit {
			t.Fatalf("List(%d, %q) returned %d items", limit, token, len(items))
		}
		got = append(got, ids(items)...)
		if next == "" {
			return got, pages
		}
		if pages > 100 {
			t.Fatalf("List(%d) did not end after %d pages", limit, pages)
		}
		token = next
	}
}

func testCreateThenGet(t *testing.T, repo Repository) {
	want := account("u-1")
	operator := account("u-2")
	operator.Role, operator.Company = domainuser.RoleOperator, ""
	mustCreate(t, repo, want, operator)
	assertStored(t, repo, want, "a customer")
	assertStored(t, repo, operator, "an operator without a company")
}

func testGetMissing(t *testing.T, repo Repository) {
	mustCreate(t, repo, account("u-1"))
	if _, err := repo.Get(context.Background(), "u-2"); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := repo.Get(context.Background(), "u-1@example.com"); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("Get(an email) = %v, want ErrNotFound", err)
	}
	if _, err := repo.GetByEmail(context.Background(), "u-2@example.com"); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("GetByEmail(missing) = %v, want ErrNotFound", err)
	}
	if _, err := repo.GetByEmail(context.Background(), "u-1"); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("GetByEmail(an id) = %v, want ErrNotFound", err)
	}
}

func testGetByEmailAnyCase(t *testing.T, repo Repository) {
	want := NewAccount("u-1", "Ann.Smith@Example.com")
	mustCreate(t, repo, want)
	for _, email := range []string{"Ann.Smith@Example.com", "ann.smith@example.com", "ANN.SMITH@EXAMPLE.COM", " ann.smith@example.com\t"} {
		got, err := repo.GetByEmail(context.Background(), email)
		if err != nil {
			t.Errorf("GetByEmail(%q) = %v, want the account", email, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetByEmail(%q): the email is kept as given (-want +got):\n%s", email, diff)
		}
	}
}

func testCreateTaken(t *testing.T, repo Repository) {
	first := NewAccount("u-1", "ann@example.com")
	mustCreate(t, repo, first)
	tests := []struct {
		name string
		a    user.Account
	}{
		{"same account", first},
		{"same id, other email", NewAccount("u-1", "bob@example.com")},
		{"other id, same email", NewAccount("u-2", "ann@example.com")},
		{"other id, same email in other case", NewAccount("u-3", "ANN@example.COM")},
	}
	for _, tt := range tests {
		if err := repo.Create(context.Background(), tt.a); !errors.Is(err, domainuser.ErrConflict) {
			t.Errorf("Create(%s) = %v, want ErrConflict", tt.name, err)
		}
	}
	assertStored(t, repo, first, "after refused creates")
	for _, id := range []string{"u-2", "u-3"} {
		if _, err := repo.Get(context.Background(), id); !errors.Is(err, domainuser.ErrNotFound) {
			t.Errorf("Get(%s) after its create was refused = %v, want ErrNotFound", id, err)
		}
	}
	// The refused "bob" email is free.
	mustCreate(t, repo, NewAccount("u-4", "bob@example.com"))
	if got, _ := listAll(t, repo, 10); !cmp.Equal(got, []string{"u-1", "u-4"}) {
		t.Errorf("List after refused creates = %q, want [u-1 u-4]", got)
	}
}

func testKeepsCopies(t *testing.T, repo Repository) {
	ctx := context.Background()
	want := account("u-1")
	in := account("u-1")
	mustCreate(t, repo, in)
	in.PasswordHash[0] = 'X'

	got, err := repo.Get(ctx, "u-1")
	if err != nil {
		t.Fatalf("Get(u-1) = %v, want nil", err)
	}
	got.PasswordHash[1] = 'X'
	byEmail, err := repo.GetByEmail(ctx, want.Email)
	if err != nil {
		t.Fatalf("GetByEmail = %v, want nil", err)
	}
	byEmail.PasswordHash[2] = 'X'
	listed, _, err := repo.List(ctx, 0, "")
	if err != nil || len(listed) != 1 {
		t.Fatalf("List = %d, %v; want 1 account", len(listed), err)
	}
	listed[0].PasswordHash[3] = 'X'
	assertStored(t, repo, want, "after callers changed their copies")
}

func testListEmpty(t *testing.T, repo Repository) {
	items, next, err := repo.List(context.Background(), 0, "")
	if err != nil || len(items) != 0 || next != "" {
		t.Errorf("List(empty) = %d items, %q, %v; want 0 items, \"\", nil", len(items), next, err)
	}
}

func testListAllInCreationOrder(t *testing.T, repo Repository) {
	// Not in id or email order: the order is the order of creation, even
	// against CreatedAt.
	want := []string{"c", "a", "d", "b"}
	for i, id := range want {
		a := account(id)
		a.CreatedAt = created.Add(-time.Duration(i) * time.Hour)
		mustCreate(t, repo, a)
	}
	items, next, err := repo.List(context.Background(), 0, "")
	if err != nil {
		t.Fatalf("List(0, \"\") = %v, want nil", err)
	}
	if diff := cmp.Diff(want, ids(items)); diff != "" || next != "" {
		t.Errorf("List(0, \"\") next %q, ids (-want +got):\n%s", next, diff)
	}
	wantD := account("d")
	wantD.CreatedAt = created.Add(-2 * time.Hour)
	if diff := cmp.Diff(wantD, items[2]); diff != "" {
		t.Errorf("listed account mismatch (-want +got):\n%s", diff)
	}
}

func testListPages(t *testing.T, repo Repository) {
	var all []string
	for i := range 5 {
		id := fmt.Sprintf("u-%d", 5-i)
		all = append(all, id)
		mustCreate(t, repo, account(id))
	}
	tests := []struct {
		limit     int
		wantPages int // the last page is never empty
	}{
		{limit: 1, wantPages: 5},
		{limit: 2, wantPages: 3},
		{limit: 4, wantPages: 2},
		{limit: 5, wantPages: 1},
		{limit: 6, wantPages: 1},
		{limit: 500, wantPages: 1},
	}
	for _, tt := range tests {
		got, pages := listAll(t, repo, tt.limit)
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("pages of %d: ids (-want +got):\n%s", tt.limit, diff)
		}
		if pages != tt.wantPages {
			t.Errorf("pages of %d: got %d pages, want %d", tt.limit, pages, tt.wantPages)
		}
	}
}

func testListPageSeesLaterCreates(t *testing.T, repo Repository) {
	ctx := context.Background()
	mustCreate(t, repo, account("u-1"), account("u-2"), account("u-3"))
	first, next, err := repo.List(ctx, 2, "")
	if err != nil || next == "" {
		t.Fatalf("List(2, \"\") = %v, next %q; want a next token", err, next)
	}
	mustCreate(t, repo, account("u-0"))
	rest, next, err := repo.List(ctx, 0, next)
	if err != nil {
		t.Fatalf("List(0, next) = %v, want nil", err)
	}
	got := append(ids(first), ids(rest)...)
	if diff := cmp.Diff([]string{"u-1", "u-2", "u-3", "u-0"}, got); diff != "" || next != "" {
		t.Errorf("ids across pages, last next %q (-want +got):\n%s", next, diff)
	}
}

func testListBadPageToken(t *testing.T, repo Repository) {
	mustCreate(t, repo, account("u-1"), account("u-2"))
	for _, token := range []string{"not a token", "%%%", "bm90LWEtdG9rZW4", "MTIzNDU2Nzg5", "🚢", strings.Repeat("A", 4096)} {
		_, _, err := repo.List(context.Background(), 1, token)
		var fe *domainuser.FieldError
		if !errors.As(err, &fe) || fe.Field != "page_token" || !errors.Is(err, domainuser.ErrInvalid) {
			t.Errorf("List(1, %.20q) = %v, want a *FieldError on page_token", token, err)
		}
	}
}

func testSetRole(t *testing.T, repo Repository) {
	ctx := context.Background()
	a, b := account("u-1"), account("u-2")
	mustCreate(t, repo, a, b)
	tests := []struct {
		name    string
		id      string
		role    domainuser.Role
		wantErr error
	}{
		{name: "to operator", id: "u-1", role: domainuser.RoleOperator},
		{name: "to operator again", id: "u-1", role: domainuser.RoleOperator},
		{name: "missing", id: "u-3", role: domainuser.RoleOperator, wantErr: domainuser.ErrNotFound},
	}
	for _, tt := range tests {
		err := repo.SetRole(ctx, tt.id, tt.role)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("%s: SetRole(%q, %q) = %v, want %v", tt.name, tt.id, tt.role, err, tt.wantErr)
		}
	}
	a.Role = domainuser.RoleOperator
	assertStored(t, repo, a, "the user made operator")
	assertStored(t, repo, b, "the other user")
	if err := repo.SetRole(ctx, "u-1", domainuser.RoleCustomer); err != nil {
		t.Fatalf("SetRole back to customer = %v", err)
	}
	a.Role = domainuser.RoleCustomer
	assertStored(t, repo, a, "the user made customer again")
	if _, err := repo.Get(ctx, "u-3"); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("Get(u-3) after SetRole of it = %v, want ErrNotFound", err)
	}
}

// testCreateAfterContextEnded checks that a Create whose context has
// ended stores nothing.
func testCreateAfterContextEnded(t *testing.T, repo Repository) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	a := account("u-1")
	if err := repo.Create(canceled, a); err == nil {
		t.Errorf("Create with a canceled context = nil, want an error")
	}
	if _, err := repo.GetByEmail(context.Background(), a.Email); !errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("GetByEmail after a Create with a canceled context = %v, want ErrNotFound", err)
	}
}

// testConcurrentCreatesSameEmail races creates of accounts with one email
// in different cases and distinct ids: exactly one is stored.
func testConcurrentCreatesSameEmail(t *testing.T, repo Repository) {
	const n = 16
	errs := storetesting.Race(n, func(i int) error {
		email := "ann@example.com"
		if i%2 == 1 {
			email = "Ann@Example.com"
		}
		return repo.Create(context.Background(), NewAccount(fmt.Sprintf("u-%02d", i), email))
	})
	won := storetesting.Winners(t, "create", errs, domainuser.ErrConflict)
	if len(won) != 1 {
		t.Fatalf("creates %v succeeded, want exactly one", won)
	}
	got, err := repo.GetByEmail(context.Background(), "ANN@example.com")
	if want := fmt.Sprintf("u-%02d", won[0]); err != nil || got.ID != want {
		t.Errorf("GetByEmail = %q, %v; want the winner %q", got.ID, err, want)
	}
	if items, _, err := repo.List(context.Background(), 0, ""); err != nil || len(items) != 1 {
		t.Errorf("List = %d items, %v; want 1", len(items), err)
	}
}

func testConcurrentCreatesDistinctEmails(t *testing.T, repo Repository) {
	const n = 32
	errs := storetesting.Race(n, func(i int) error {
		return repo.Create(context.Background(), account(fmt.Sprintf("u-%02d", i)))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("create %d = %v, want nil", i, err)
		}
	}
	got, _ := listAll(t, repo, 5)
	seen := make(map[string]bool, len(got))
	for _, id := range got {
		if seen[id] {
			t.Errorf("id %q listed twice", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("listed %d distinct accounts, want %d", len(seen), n)
	}
}

// AssertUnavailable checks that every method of repo, its outbox's
// included, fails with domainuser.ErrUnavailable, each within within when
// it is positive. when says why, for the messages: "on a closed store".
func AssertUnavailable(t *testing.T, repo Repository, when string, within time.Duration) {
	t.Helper()
	ctx := t.Context()
	storetesting.AssertErrors(t, storetesting.Calls{
		"Create":     func() error { return repo.Create(ctx, account("u-1")) },
		"Get":        func() error { _, err := repo.Get(ctx, "u-1"); return err },
		"GetByEmail": func() error { _, err := repo.GetByEmail(ctx, "u-1@example.com"); return err },
		"List":       func() error { _, _, err := repo.List(ctx, 10, ""); return err },
		"SetRole":    func() error { return repo.SetRole(ctx, "u-1", domainuser.RoleOperator) },
		"Pending":    func() error { _, err := repo.Pending(ctx, 10); return err },
		"Done":       func() error { return repo.Done(ctx, []string{"event-1"}) },
		"Count":      func() error { _, err := repo.Count(ctx); return err },
	}, domainuser.ErrUnavailable, when, within)
}
