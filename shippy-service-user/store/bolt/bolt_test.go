package bolt_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-user/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-user/store/storetest"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Repository {
		return boltdbtest.MustOpen(t, bolt.Open, boltdbtest.Path(t, "user.db"))
	})
}

// TestReopen checks that what a store acknowledged is in the file when it
// is opened again, emails and creation order included, and that a page
// token stays valid.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := boltdbtest.Path(t, "user.db")
	want := []user.Account{
		storetest.NewAccount("c", "C@example.com"),
		storetest.NewAccount("a", "a@example.com"),
		storetest.NewAccount("b", "b@example.com"),
	}
	first, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	for _, a := range want {
		if err := first.Create(ctx, a); err != nil {
			t.Fatalf("Create(%q): %v", a.ID, err)
		}
	}
	if err := first.SetRole(ctx, "a", domainuser.RoleOperator); err != nil {
		t.Fatalf("SetRole: %v", err)
	}
	want[1].Role = domainuser.RoleOperator
	_, token, err := first.List(ctx, 1, "")
	if err != nil || token == "" {
		t.Fatalf("List(1, \"\") = %q, %v; want a next page token", token, err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := boltdbtest.MustOpen(t, bolt.Open, path)
	if err := second.Create(ctx, storetest.NewAccount("0", "c@EXAMPLE.com")); !errors.Is(err, domainuser.ErrConflict) {
		t.Errorf("Create with a stored email after reopening: %v, want ErrConflict", err)
	}
	d := storetest.NewAccount("d", "d@example.com")
	if err := second.Create(ctx, d); err != nil {
		t.Fatalf("Create(d) after reopening: %v", err)
	}
	want = append(want, d)
	got, next, err := second.List(ctx, 0, "")
	if diff := cmp.Diff(want, got); diff != "" || next != "" || err != nil {
		t.Errorf("List after reopening = next %q, %v (-want +got):\n%s", next, err, diff)
	}
	got, _, err = second.List(ctx, 0, token)
	if diff := cmp.Diff(want[1:], got); diff != "" || err != nil {
		t.Errorf("List from a token of before the reopening = %v (-want +got):\n%s", err, diff)
	}
	if a, err := second.GetByEmail(ctx, "c@example.com"); err != nil || a.ID != "c" {
		t.Errorf("GetByEmail after reopening = %q, %v; want c", a.ID, err)
	}
}

// TestOpenAndClose runs the checks every store on boltdb passes: a
// locked file, a missing directory, a file of another kind or schema
// version, and a closed store.
func TestOpenAndClose(t *testing.T) {
	t.Parallel()
	boltdbtest.RunStoreTests(t, bolt.Open, "2", "3", func(t *testing.T, s *bolt.Store) {
		storetest.AssertUnavailable(t, s, "on a closed store", 0)
	})
}
