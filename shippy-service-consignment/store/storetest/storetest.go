// Package storetest is the contract every consignment.Repository, with its
// outbox (outbox.Store), keeps. Run takes a function that opens an empty
// repository; the service's TestContract (store_test.go) runs it on every
// backend
// (storetesting.RunContract).
//
// open is called once per subtest and subtests run in parallel, so each call
// must return its own empty repository (its own database or bucket) and
// clean it up with t.Cleanup.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Repository is what every consignment store is: the domain's repository
// and the outbox of the events Create stores (outbox.Store). It is an
// alias, so that the service's own alias of the same interface is the same
// type.
type Repository = interface {
	consignment.Repository
	outbox.Store
}

// Run runs the contract suite on the repositories open returns, adapted
// to the backend by opts (see storetesting.RunSuite).
func Run(t *testing.T, open func(t *testing.T) Repository, opts ...storetesting.Options) {
	t.Helper()
	storetesting.RunSuite(t, append([]storetesting.Test[Repository]{
		{Name: "CreateThenGet", Run: testCreateThenGet},
		{Name: "GetMissing", Run: testGetMissing},
		{Name: "CreateTakenID", Run: testCreateTakenID},
		{Name: "KeepsCopies", Run: testKeepsCopies},
		{Name: "ListEmpty", Run: testListEmpty},
		{Name: "ListAllInCreationOrder", Run: testListAllInCreationOrder},
		{Name: "ListPages", Run: testListPages},
		{Name: "ListPageSeesLaterCreates", Run: testListPageSeesLaterCreates},
		{Name: "ListBadPageToken", Run: testListBadPageToken},
		{Name: "ConcurrentListWalkWhileCreating", Run: testConcurrentListWalkWhileCreating},
		{Name: "ListOwner", Run: testListOwner},
		{Name: "ListOwnerPages", Run: testListOwnerPages},
		{Name: "ListOwnerTokenOfAnotherListing", Run: testListOwnerTokenOfAnotherListing},
		{Name: "ConcurrentListOwnerWalkWhileCreating", Run: testConcurrentListOwnerWalkWhileCreating},
		{Name: "ConcurrentCreatesSameID", Run: testConcurrentCreatesSameID},
		{Name: "ConcurrentCreatesDistinctIDs", Run: testConcurrentCreatesDistinctIDs},
		{Name: "PendingGetAndTakenID", Run: testPendingGetAndTakenID},
		{Name: "ListSkipsPending", Run: testListSkipsPending},
		{Name: "ListLastBookedBeforePending", Run: testListLastBookedBeforePending},
		{Name: "ListTokenAfterDeletePending", Run: testListTokenAfterDeletePending},
		{Name: "DeletePending", Run: testDeletePending},
		{Name: "ClaimPending", Run: testClaimPending},
		{Name: "ConcurrentClaimPending", Run: testConcurrentClaimPending},
		{Name: "ListPending", Run: testListPending},
		{Name: "ConcurrentDeletePending", Run: testConcurrentDeletePending},
		{Name: "CreateAfterContextEnded", Run: testCreateAfterContextEnded},
		{Name: "CancelThenGetAndList", Run: testCancelThenGetAndList},
		{Name: "CancelAgain", Run: testCancelAgain},
		{Name: "CancelByOperator", Run: testCancelByOperator},
		{Name: "CancelNotFound", Run: testCancelNotFound},
		{Name: "CreateCancelledID", Run: testCreateCancelledID},
		{Name: "ConcurrentCancel", Run: testConcurrentCancel},
		{Name: "Holder", Run: testHolder},
		{Name: "HoldersOfTwoStores", Open: testHoldersOfTwoStores},
		{Name: "ConcurrentHolder", Run: testConcurrentHolder},
	}, outboxTests()...), open, opts...)
}

// created is the CreatedAt of the consignments NewConsignment returns: a
// time to the millisecond, in UTC, as every repository keeps it.
var created = time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)

// NewConsignment returns a valid, booked consignment with the id.
func NewConsignment(id string) consignment.Consignment {
	return consignment.Consignment{
		ID:          id,
		Description: "consignment " + id,
		Weight:      1200,
		Containers: []consignment.Container{
			{ID: id + "-box-1", CustomerID: "cust001", Origin: "Manchester, United Kingdom", UserID: "user001"},
			{ID: id + "-box-2", CustomerID: "cust002", Origin: "Derby, United Kingdom"},
		},
		VesselID:  "vessel001",
		Status:    consignment.StatusBooked,
		CreatedAt: created,
	}
}

// NewOwned returns NewConsignment(id) booked by owner.
func NewOwned(id, owner string) consignment.Consignment {
	c := NewConsignment(id)
	c.Owner = owner
	return c
}

// NewPending returns a valid pending consignment with the id, leased to
// owner until created plus leaseFor: as the create of an earlier release
// left it.
func NewPending(id, owner string, leaseFor time.Duration) consignment.Consignment {
	c := NewConsignment(id)
	c.VesselID = ""
	c.Status = consignment.StatusPending
	c.Lease = consignment.Lease{Owner: owner, Until: created.Add(leaseFor)}
	return c
}

// Cancelled returns c as Cancel returns it once cancelled.
func Cancelled(c consignment.Consignment) consignment.Consignment {
	c.Status = consignment.StatusCancelled
	return c
}

// mustCancel cancels the consignment with the id as owner, failing the
// test on an error, and returns what Cancel returned.
func mustCancel(t *testing.T, repo consignment.Repository, id, owner string) consignment.Consignment {
	t.Helper()
	c, err := repo.Cancel(context.Background(), id, owner)
	if err != nil {
		t.Fatalf("Cancel(%q, %q) = %v, want nil", id, owner, err)
	}
	return c
}

// mustGet returns the consignment with the id, failing the test on an
// error.
func mustGet(t *testing.T, repo consignment.Repository, id string) consignment.Consignment {
	t.Helper()
	c, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%q) = %v, want nil", id, err)
	}
	return c
}

// mustCreate stores each consignment, failing the test on an error.
func mustCreate(t *testing.T, repo consignment.Repository, cs ...consignment.Consignment) {
	t.Helper()
	for _, c := range cs {
		if err := repo.Create(context.Background(), c); err != nil {
			t.Fatalf("Create(%q) = %v, want nil", c.ID, err)
		}
	}
}

// assertStored checks that the repository holds want under its id; what
// says what is checked, for the message.
func assertStored(t *testing.T, repo consignment.Repository, want consignment.Consignment, what string) {
	t.Helper()
	if diff := cmp.Diff(want, mustGet(t, repo, want.ID)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// checkErr checks that err, of call, matches want, and is nil when want
// is.
func checkErr(t *testing.T, call string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) || (want == nil) != (err == nil) {
		t.Errorf("%s = %v, want %v", call, err, want)
	}
}

// ids returns the ids of cs, in order.
func ids(cs []consignment.Consignment) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// listAll follows every page of limit consignments of every owner and
// returns the ids, in order, and the number of pages.
func listAll(t *testing.T, repo consignment.Repository, limit int) (got []string, pages int) {
	t.Helper()
	return listOwnerAll(t, repo, "", limit)
}

// listOwnerAll is listAll of owner's consignments ("": every owner's).
func listOwnerAll(t *testing.T, repo consignment.Repository, owner string, limit int) (got []string, pages int) {
	t.Helper()
	token := ""
	for {
		items, next, err := repo.List(context.Background(), owner, limit, token)
		if err != nil {
			t.Fatalf("List(%q, %d, %q) = %v, want nil", owner, limit, token, err)
		}
		pages++
		if len(items) > limit {
			t.Fatalf("List(%q, %d, %q) returned %d items", owner, limit, token, len(items))
		}
		for _, c := range items {
			if owner != "" && c.Owner != owner {
				t.Fatalf("List(%q, %d, %q) returned %q of owner %q", owner, limit, token, c.ID, c.Owner)
			}
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
	want := NewConsignment("c-1")
	mustCreate(t, repo, want, NewConsignment("c-2"))
	assertStored(t, repo, want, "Get(c-1) mismatch")
}

func testGetMissing(t *testing.T, repo Repository) {
	mustCreate(t, repo, NewConsignment("c-1"))
	_, err := repo.Get(context.Background(), "c-2")
	if !errors.Is(err, consignment.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
}

func testCreateTakenID(t *testing.T, repo Repository) {
	first := NewConsignment("c-1")
	mustCreate(t, repo, first)
	different := NewConsignment("c-1")
	different.Description = "another consignment"
	for name, c := range map[string]consignment.Consignment{"same": first, "different": different} {
		if err := repo.Create(context.Background(), c); !errors.Is(err, consignment.ErrConflict) {
			t.Errorf("Create(taken id, %s contents) = %v, want ErrConflict", name, err)
		}
	}
	assertStored(t, repo, first, "a refused create changed the stored consignment")
}

func testKeepsCopies(t *testing.T, repo Repository) {
	ctx := context.Background()
	want := NewConsignment("c-1")
	in := NewConsignment("c-1")
	mustCreate(t, repo, in)
	in.Containers[0].Origin = "changed after Create"

	got, err := repo.Get(ctx, "c-1")
	if err != nil {
		t.Fatalf("Get(c-1) = %v, want nil", err)
	}
	got.Containers[1].Origin = "changed after Get"
	listed, _, err := repo.List(ctx, "", 0, "")
	if err != nil {
		t.Fatalf("List = %v, want nil", err)
	}
	listed[0].Containers[0].CustomerID = "changed after List"

	got, err = repo.Get(ctx, "c-1")
	if err != nil {
		t.Fatalf("Get(c-1) = %v, want nil", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored consignment changed through a caller's copy (-want +got):\n%s", diff)
	}
}

func testListEmpty(t *testing.T, repo Repository) {
	items, next, err := repo.List(context.Background(), "", 0, "")
	if err != nil || len(items) != 0 || next != "" {
		t.Errorf("List(empty) = %d items, %q, %v; want 0 items, \"\", nil", len(items), next, err)
	}
}

func testListAllInCreationOrder(t *testing.T, repo Repository) {
	// Not in id order: the order is the order of creation.
	want := []string{"c", "a", "d", "b"}
	for _, id := range want {
		mustCreate(t, repo, NewConsignment(id))
	}
	items, next, err := repo.List(context.Background(), "", 0, "")
	if err != nil {
		t.Fatalf("List(0, \"\") = %v, want nil", err)
	}
	if diff := cmp.Diff(want, ids(items)); diff != "" {
		t.Errorf("List(0, \"\") ids (-want +got):\n%s", diff)
	}
	if next != "" {
		t.Errorf("List(0, \"\") next token = %q, want \"\"", next)
	}
	if diff := cmp.Diff(NewConsignment("d"), items[2]); diff != "" {
		t.Errorf("listed consignment mismatch (-want +got):\n%s", diff)
	}
}

func testListPages(t *testing.T, repo Repository) {
	var all []string
	for i := range 5 {
		id := fmt.Sprintf("c-%d", 5-i)
		all = append(all, id)
		mustCreate(t, repo, NewConsignment(id))
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
		{limit: 100, wantPages: 1},
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
	mustCreate(t, repo, NewConsignment("c-1"), NewConsignment("c-2"), NewConsignment("c-3"))
	first, next, err := repo.List(ctx, "", 2, "")
	if err != nil || next == "" {
		t.Fatalf("List(2, \"\") = %v, next %q; want a next token", err, next)
	}
	mustCreate(t, repo, NewConsignment("c-4"))
	rest, next, err := repo.List(ctx, "", 0, next)
	if err != nil {
		t.Fatalf("List(0, next) = %v, want nil", err)
	}
	got := append(ids(first), ids(rest)...)
	if diff := cmp.Diff([]string{"c-1", "c-2", "c-3", "c-4"}, got); diff != "" {
		t.Errorf("ids across pages (-want +got):\n%s", diff)
	}
	if next != "" {
		t.Errorf("last page next token = %q, want \"\"", next)
	}
}

func testListBadPageToken(t *testing.T, repo Repository) {
	mustCreate(t, repo, NewConsignment("c-1"), NewConsignment("c-2"))
	for _, token := range []string{"not a token", "%%%", "bm90LWEtdG9rZW4", "MTIzNDU2Nzg5", "🚢"} {
		_, _, err := repo.List(context.Background(), "", 1, token)
		var fe *consignment.FieldError
		if !errors.As(err, &fe) || fe.Field != "page_token" || !errors.Is(err, consignment.ErrInvalid) {
			t.Errorf("List(1, %q) = %v, want a *FieldError on page_token", token, err)
		}
	}
}

// ownedFixture stores, interleaved and in this order, booked consignments
// of user-a, of user-b and of no owner, and pending ones of user-a, and
// returns the ids of the booked ones by owner ("": every one), in creation
// order.
func ownedFixture(t *testing.T, repo consignment.Repository) map[string][]string {
	t.Helper()
	want := map[string][]string{}
	for i := range 12 {
		id := fmt.Sprintf("c-%02d", 12-i) // not in id order
		var c consignment.Consignment
		switch i % 4 {
		case 0:
			c = NewOwned(id, "user-a")
		case 1:
			c = NewOwned(id, "user-b")
		case 2:
			c = NewConsignment(id)
		case 3:
			c = NewPending(id, "lease-owner", time.Hour)
			c.Owner = "user-a" // never listed
		}
		mustCreate(t, repo, c)
		if c.Status == consignment.StatusBooked {
			if c.Owner != "" {
				want[c.Owner] = append(want[c.Owner], id)
			}
			want[""] = append(want[""], id)
		}
	}
	return want
}

// testListOwner checks that an owner's listing returns its booked
// consignments only, each as stored (its Owner included), in creation
// order; that the listing of every consignment ("") lists every owner's
// and those of no owner; and that an owner with none lists none.
func testListOwner(t *testing.T, repo Repository) {
	ctx := context.Background()
	want := ownedFixture(t, repo)
	for _, owner := range []string{"user-a", "user-b", ""} {
		items, next, err := repo.List(ctx, owner, 0, "")
		if err != nil || next != "" {
			t.Fatalf("List(%q, 0, \"\") = next %q, %v; want nil", owner, next, err)
		}
		if diff := cmp.Diff(want[owner], ids(items)); diff != "" {
			t.Errorf("List(%q) ids (-want +got):\n%s", owner, diff)
		}
	}
	items, _, err := repo.List(ctx, "user-a", 0, "")
	if err != nil || len(items) == 0 {
		t.Fatalf("List(user-a) = %d items, %v", len(items), err)
	}
	if diff := cmp.Diff(NewOwned(items[0].ID, "user-a"), items[0]); diff != "" {
		t.Errorf("listed consignment of user-a mismatch (-want +got):\n%s", diff)
	}
	assertStored(t, repo, NewOwned(want["user-b"][0], "user-b"), "Get of a consignment of user-b mismatch")
	if items, next, err := repo.List(ctx, "user-c", 0, ""); err != nil || len(items) != 0 || next != "" {
		t.Errorf("List(user-c) = %v, %q, %v; want none", ids(items), next, err)
	}
}

// testListOwnerPages walks an owner's listing in pages of every size, with
// creates of other owners, of none, and of the owner between pages: it
// returns the owner's booked consignments in creation order, each once;
// a token stays valid after a pending consignment of the owner is deleted.
func testListOwnerPages(t *testing.T, repo Repository) {
	ctx := context.Background()
	want := ownedFixture(t, repo)["user-a"]
	for limit := 1; limit <= len(want)+1; limit++ {
		got, pages := listOwnerAll(t, repo, "user-a", limit)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pages of %d: ids (-want +got):\n%s", limit, diff)
		}
		if wantPages := max(1, (len(want)+limit-1)/limit); pages != wantPages {
			t.Errorf("pages of %d: %d pages, want %d", limit, pages, wantPages)
		}
	}

	// Page by page, while others create, and the owner creates a pending
	// consignment that is deleted.
	var got []string
	token := ""
	for page := 0; ; page++ {
		items, next, err := repo.List(ctx, "user-a", 1, token)
		if err != nil {
			t.Fatalf("List(user-a, 1, %q) on page %d = %v", token, page, err)
		}
		got = append(got, ids(items)...)
		switch page {
		case 0:
			p := NewPending("p-a", "lease-owner", -time.Second)
			p.Owner = "user-a"
			mustCreate(t, repo, NewOwned("d-b", "user-b"), NewConsignment("d-none"), p, NewOwned("d-a", "user-a"))
			if err := repo.DeletePending(ctx, p.ID); err != nil {
				t.Fatalf("DeletePending(%q) = %v", p.ID, err)
			}
			want = append(want, "d-a")
		case 1:
			mustCreate(t, repo, NewOwned("e-a", "user-a"), NewOwned("e-b", "user-b"))
			want = append(want, "e-a")
		}
		if next == "" {
			break
		}
		if page > 100 {
			t.Fatal("List(user-a, 1) did not end after 100 pages")
		}
		token = next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user-a's pages of 1 while others created (-want +got):\n%s", diff)
	}
}

// testListOwnerTokenOfAnotherListing checks that a page token is good for
// the listing that issued it only: a token of one owner's listing is
// refused, as ErrBadPageToken(), by another owner's and by the listing of
// every consignment, and a token of the listing of every consignment by an
// owner's, even when it names that owner's consignment.
func testListOwnerTokenOfAnotherListing(t *testing.T, repo Repository) {
	ctx := context.Background()
	mustCreate(t, repo,
		NewOwned("a-1", "user-a"), NewOwned("b-1", "user-b"),
		NewOwned("a-2", "user-a"), NewOwned("b-2", "user-b"),
		NewOwned("a-3", "user-a"), NewOwned("b-3", "user-b"))
	token := func(owner string) string {
		t.Helper()
		_, next, err := repo.List(ctx, owner, 1, "")
		if err != nil || next == "" {
			t.Fatalf("List(%q, 1, \"\") = next %q, %v; want a next page", owner, next, err)
		}
		return next
	}
	tokens := map[string]string{"user-a": token("user-a"), "user-b": token("user-b"), "": token("")}
	tests := []struct{ from, with string }{
		{"user-a", "user-b"},
		{"user-b", "user-a"},
		{"user-a", ""},
		{"", "user-a"}, // the token names a-1, user-a's
		{"user-a", "user-c"},
	}
	for _, tt := range tests {
		items, next, err := repo.List(ctx, tt.with, 1, tokens[tt.from])
		var fe *consignment.FieldError
		if !errors.As(err, &fe) || fe.Field != "page_token" || !errors.Is(err, consignment.ErrInvalid) {
			t.Errorf("List(%q, 1, token of %q's listing) = %v, %q, %v; want a *FieldError on page_token",
				tt.with, tt.from, ids(items), next, err)
		}
	}
	for owner, want := range map[string]string{"user-a": "a-2", "user-b": "b-2", "": "b-1"} {
		items, _, err := repo.List(ctx, owner, 1, tokens[owner])
		if err != nil || !slices.Equal(ids(items), []string{want}) {
			t.Errorf("List(%q, 1, its own token) = %v, %v; want [%s]", owner, ids(items), err, want)
		}
	}
}

// ownerWalkSize is how many consignments
// testConcurrentListOwnerWalkWhileCreating stores before its walk, half of
// them the walking owner's.
const (
	ownerWalkSize = 1000
	ownerWalkPage = 25
)

// testConcurrentListOwnerWalkWhileCreating walks every page of one owner's
// listing while other callers create booked and pending consignments of
// that owner, of another and of none: each of the owner's consignments
// stored before the walk began is listed exactly once, none is listed
// twice, and no other owner's is listed.
func testConcurrentListOwnerWalkWhileCreating(t *testing.T, repo Repository) {
	ctx := t.Context()
	owners := []string{"user-a", "user-b", "user-a", ""}
	var before []string
	cs := make([]consignment.Consignment, ownerWalkSize)
	for i := range cs {
		id := fmt.Sprintf("before-%05d", i)
		cs[i] = NewOwned(id, owners[i%len(owners)])
		if cs[i].Owner == "user-a" {
			before = append(before, id)
		}
	}
	createEach(t, repo, cs, 32)

	stop := make(chan struct{})
	var (
		wg      sync.WaitGroup
		created [4]int
		errs    [4]error
	)
	for w := range created {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("during-%d-%05d", w, created[w])
				c := NewOwned(id, owners[(w+created[w])%len(owners)])
				if created[w]%3 == 0 {
					c = NewPending(id, "lease-owner", time.Hour) // not listed, but takes a place
					c.Owner = "user-a"
				}
				if err := repo.Create(ctx, c); err != nil {
					errs[w] = err
					return
				}
				created[w]++
			}
		})
	}
	seen := make(map[string]int, len(before))
	pages := 0
	for token := ""; ; pages++ {
		items, next, err := repo.List(ctx, "user-a", ownerWalkPage, token)
		if err != nil {
			t.Errorf("List(user-a, %d, %q) on page %d = %v, want nil", ownerWalkPage, token, pages, err)
			break
		}
		for _, c := range items {
			seen[c.ID]++
			if c.Owner != "user-a" || c.Status != consignment.StatusBooked {
				t.Errorf("List(user-a) listed %s of owner %q, %s", c.ID, c.Owner, c.Status)
			}
		}
		if next == "" || pages > 10*ownerWalkSize/ownerWalkPage {
			break
		}
		token = next
	}
	close(stop)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("creator %d: Create = %v", w, err)
		}
	}
	for _, id := range before {
		if seen[id] != 1 {
			t.Errorf("%s listed %d times, want once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times, want at most once", id, n)
		}
	}
	t.Logf("walked %d pages of %d while %v consignments were created", pages+1, ownerWalkPage, created)
}

// createEach stores each of cs, callers at a time, failing the test on an
// error.
func createEach(t *testing.T, repo consignment.Repository, cs []consignment.Consignment, callers int) {
	t.Helper()
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for w := range callers {
		wg.Go(func() {
			for i := w; i < len(cs) && errs[w] == nil; i += callers {
				errs[w] = repo.Create(t.Context(), cs[i])
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("creator %d: Create = %v", w, err)
		}
	}
}

// walkSize is how many consignments testConcurrentListWalkWhileCreating
// stores before its walk: 50 pages of walkPage, stored in seconds (32
// callers share the bbolt store's commits).
const (
	walkSize = 5000
	walkPage = 100
)

// testConcurrentListWalkWhileCreating walks every page while other callers create
// booked and pending consignments: each consignment stored before the walk
// began is listed exactly once, and none is listed twice.
func testConcurrentListWalkWhileCreating(t *testing.T, repo Repository) {
	ctx := t.Context()
	before := make([]string, walkSize)
	for i := range before {
		before[i] = fmt.Sprintf("before-%05d", i)
	}
	createAll(t, repo, before, 32)

	stop := make(chan struct{})
	var (
		wg      sync.WaitGroup
		created [4]int
		errs    [4]error
	)
	for w := range created {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("during-%d-%05d", w, created[w])
				c := NewConsignment(id)
				if created[w]%3 == 0 {
					c = NewPending(id, "owner", time.Hour) // not listed, but takes a place
				}
				if err := repo.Create(ctx, c); err != nil {
					errs[w] = err
					return
				}
				created[w]++
			}
		})
	}
	seen := make(map[string]int, walkSize)
	pages := 0
	for token := ""; ; pages++ {
		items, next, err := repo.List(ctx, "", walkPage, token)
		if err != nil {
			t.Errorf("List(%d, %q) on page %d = %v, want nil", walkPage, token, pages, err)
			break
		}
		for _, c := range items {
			seen[c.ID]++
		}
		if next == "" || pages > 10*walkSize/walkPage {
			break
		}
		token = next
	}
	close(stop)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("creator %d: Create = %v", w, err)
		}
	}
	for _, id := range before {
		if seen[id] != 1 {
			t.Errorf("%s listed %d times, want once", id, seen[id])
		}
	}
	during := 0
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times, want at most once", id, n)
		}
		if !slices.Contains(before, id) {
			during++
		}
	}
	t.Logf("walked %d pages of %d while %v consignments were created; %d of them listed", pages+1, walkPage, created, during)
}

// createAll stores a booked consignment under each id, callers at a time,
// failing the test on an error.
func createAll(t *testing.T, repo consignment.Repository, ids []string, callers int) {
	t.Helper()
	cs := make([]consignment.Consignment, len(ids))
	for i, id := range ids {
		cs[i] = NewConsignment(id)
	}
	createEach(t, repo, cs, callers)
}

func testConcurrentCreatesSameID(t *testing.T, repo Repository) {
	errs := storetesting.Race(16, func(i int) error {
		c := NewConsignment("c-1")
		c.Description = fmt.Sprintf("attempt %d", i)
		return repo.Create(context.Background(), c)
	})
	won := storetesting.Winners(t, "create", errs, consignment.ErrConflict)
	if len(won) != 1 {
		t.Fatalf("creates %v succeeded, want exactly one", won)
	}
	winner := won[0]
	got, err := repo.Get(context.Background(), "c-1")
	if err != nil {
		t.Fatalf("Get(c-1) = %v, want nil", err)
	}
	if want := fmt.Sprintf("attempt %d", winner); got.Description != want {
		t.Errorf("stored description = %q, want the winner's %q", got.Description, want)
	}
	items, _, err := repo.List(context.Background(), "", 0, "")
	if err != nil || len(items) != 1 {
		t.Errorf("List = %d items, %v; want 1 item", len(items), err)
	}
}

func testConcurrentCreatesDistinctIDs(t *testing.T, repo Repository) {
	const n = 32
	errs := storetesting.Race(n, func(i int) error {
		return repo.Create(context.Background(), NewConsignment(fmt.Sprintf("c-%02d", i)))
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
		t.Errorf("listed %d distinct consignments, want %d", len(seen), n)
	}
}

func testPendingGetAndTakenID(t *testing.T, repo Repository) {
	want := NewPending("c-1", "owner-1", time.Minute)
	mustCreate(t, repo, want)
	assertStored(t, repo, want, "Get(pending) mismatch")
	for _, c := range []consignment.Consignment{NewConsignment("c-1"), NewPending("c-1", "owner-2", time.Minute)} {
		if err := repo.Create(context.Background(), c); !errors.Is(err, consignment.ErrConflict) {
			t.Errorf("Create(id of a pending consignment, status %s) = %v, want ErrConflict", c.Status, err)
		}
	}
}

func testListSkipsPending(t *testing.T, repo Repository) {
	mustCreate(t, repo,
		NewConsignment("a"), NewPending("p1", "o", time.Minute), NewPending("p2", "o", time.Minute),
		NewConsignment("b"), NewPending("p3", "o", time.Minute), NewConsignment("c"), NewPending("p4", "o", time.Minute))
	for _, limit := range []int{1, 2, 3} {
		got, pages := listAll(t, repo, limit)
		if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
			t.Errorf("pages of %d: ids (-want +got):\n%s", limit, diff)
		}
		if want := (3 + limit - 1) / limit; pages != want {
			t.Errorf("pages of %d: got %d pages, want %d (no empty last page)", limit, pages, want)
		}
	}
}

func testListLastBookedBeforePending(t *testing.T, repo Repository) {
	mustCreate(t, repo, NewConsignment("a"), NewConsignment("b"), NewPending("p", "o", time.Minute))
	items, next, err := repo.List(context.Background(), "", 2, "")
	if err != nil || len(items) != 2 || next != "" {
		t.Errorf("List(2, \"\") = %d items, next %q, %v; want 2 items and no next token (only a pending one follows)", len(items), next, err)
	}
}

func testListTokenAfterDeletePending(t *testing.T, repo Repository) {
	ctx := context.Background()
	mustCreate(t, repo, NewConsignment("a"), NewPending("p", "o", time.Minute), NewConsignment("b"))
	first, next, err := repo.List(ctx, "", 1, "")
	if err != nil || next == "" {
		t.Fatalf("List(1, \"\") = %v, next %q; want a next token", err, next)
	}
	if err := repo.DeletePending(ctx, "p"); err != nil {
		t.Fatalf("DeletePending(p) = %v, want nil", err)
	}
	rest, next, err := repo.List(ctx, "", 1, next)
	if err != nil {
		t.Fatalf("List(1, next) after a pending consignment was deleted = %v, want nil", err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, append(ids(first), ids(rest)...)); diff != "" || next != "" {
		t.Errorf("ids across pages, last next %q (-want +got):\n%s", next, diff)
	}
}

func testDeletePending(t *testing.T, repo Repository) {
	ctx := context.Background()
	mustCreate(t, repo, NewConsignment("booked"), NewPending("p", "owner", time.Minute))
	tests := []struct {
		name, id string
		wantErr  error
	}{
		{name: "booked", id: "booked", wantErr: consignment.ErrNotFound},
		{name: "missing", id: "missing", wantErr: consignment.ErrNotFound},
		{name: "pending", id: "p"},
		{name: "pending again", id: "p", wantErr: consignment.ErrNotFound},
	}
	for _, tt := range tests {
		checkErr(t, fmt.Sprintf("%s: DeletePending(%q)", tt.name, tt.id), repo.DeletePending(ctx, tt.id), tt.wantErr)
	}
	if _, err := repo.Get(ctx, "p"); !errors.Is(err, consignment.ErrNotFound) {
		t.Errorf("Get(deleted) = %v, want ErrNotFound", err)
	}
	if pending, err := repo.ListPending(ctx, created.Add(time.Hour), 10); err != nil || len(pending) != 0 {
		t.Errorf("ListPending after the delete = %d consignments, %v; want none", len(pending), err)
	}
	assertStored(t, repo, NewConsignment("booked"), "a refused DeletePending changed the booked consignment")
	// The id is free again, and the new consignment is last in creation
	// order.
	mustCreate(t, repo, NewConsignment("p"))
	items, _, err := repo.List(ctx, "", 0, "")
	if err != nil {
		t.Fatalf("List = %v, want nil", err)
	}
	if diff := cmp.Diff([]string{"booked", "p"}, ids(items)); diff != "" {
		t.Errorf("ids after re-creating a deleted id (-want +got):\n%s", diff)
	}
}

func testClaimPending(t *testing.T, repo Repository) {
	ctx := context.Background()
	mustCreate(t, repo, NewConsignment("booked"), NewPending("p", "owner", 0), NewPending("handed-back", "", 0))
	next := consignment.Lease{Owner: "recovery", Until: created.Add(time.Hour)}
	tests := []struct {
		name, id, owner string
		wantErr         error
	}{
		{name: "booked", id: "booked", owner: "", wantErr: consignment.ErrNotFound},
		{name: "missing", id: "missing", owner: "owner", wantErr: consignment.ErrNotFound},
		{name: "another owner", id: "p", owner: "someone else", wantErr: consignment.ErrNotFound},
		{name: "listed owner", id: "p", owner: "owner"},
		{name: "listed owner again, after the claim", id: "p", owner: "owner", wantErr: consignment.ErrNotFound},
		{name: "lease nobody holds", id: "handed-back", owner: ""},
	}
	for _, tt := range tests {
		checkErr(t, fmt.Sprintf("%s: ClaimPending(%q, %q)", tt.name, tt.id, tt.owner), repo.ClaimPending(ctx, tt.id, tt.owner, next), tt.wantErr)
	}
	want := NewPending("p", "recovery", time.Hour)
	assertStored(t, repo, want, "a claimed consignment")
	// Claimed until an hour after created: not listed before then.
	if pending, err := repo.ListPending(ctx, created.Add(time.Minute), 10); err != nil || len(pending) != 0 {
		t.Errorf("ListPending before the claims' lease ran out = %d consignments, %v; want none", len(pending), err)
	}
	assertStored(t, repo, NewConsignment("booked"), "a refused ClaimPending changed the booked consignment")
}

// testConcurrentClaimPending claims one pending consignment from several
// goroutines that listed the same owner: exactly one claim succeeds.
func testConcurrentClaimPending(t *testing.T, repo Repository) {
	ctx := context.Background()
	for round := range 10 {
		id := fmt.Sprintf("p-%d", round)
		mustCreate(t, repo, NewPending(id, "listed", 0))
		var won atomic.Int32
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				next := consignment.Lease{Owner: fmt.Sprintf("claimer-%d", g), Until: created.Add(time.Hour)}
				switch err := repo.ClaimPending(ctx, id, "listed", next); {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, consignment.ErrNotFound):
					t.Errorf("ClaimPending(%q) = %v, want nil or ErrNotFound", id, err)
				}
			})
		}
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Errorf("round %d: %d claims succeeded, want exactly 1", round, n)
		}
	}
}

func testListPending(t *testing.T, repo Repository) {
	ctx := context.Background()
	mustCreate(t, repo,
		NewPending("ran-out-early", "o", 0),
		NewConsignment("booked"),
		NewPending("ran-out", "o", time.Minute),
		NewPending("running", "o", time.Minute+time.Millisecond))
	t1 := created.Add(time.Minute)
	tests := []struct {
		name  string
		t     time.Time
		limit int
		want  []string
	}{
		{name: "before every lease ran out", t: created.Add(-time.Millisecond), limit: 10, want: []string{}},
		{name: "lease ran out exactly at t", t: t1, limit: 10, want: []string{"ran-out", "ran-out-early"}},
		{name: "every lease ran out", t: t1.Add(time.Hour), limit: 10, want: []string{"ran-out", "ran-out-early", "running"}},
		{name: "limit", t: t1.Add(time.Hour), limit: 2},
	}
	for _, tt := range tests {
		got, err := repo.ListPending(ctx, tt.t, tt.limit)
		if err != nil {
			t.Fatalf("%s: ListPending = %v, want nil", tt.name, err)
		}
		for _, c := range got {
			if want := NewPending(c.ID, "o", c.Lease.Until.Sub(created)); !cmp.Equal(want, c) {
				t.Errorf("%s: listed %+v, want %+v", tt.name, c, want)
			}
		}
		if tt.want == nil {
			if len(got) != tt.limit {
				t.Errorf("%s: ListPending returned %d, want %d", tt.name, len(got), tt.limit)
			}
			continue
		}
		gotIDs := ids(got)
		slices.Sort(gotIDs)
		if diff := cmp.Diff(tt.want, gotIDs); diff != "" {
			t.Errorf("%s: ListPending ids (-want +got):\n%s", tt.name, diff)
		}
	}
	got, err := repo.ListPending(ctx, t1, 10)
	if err != nil || len(got) == 0 {
		t.Fatalf("ListPending = %d, %v; want consignments", len(got), err)
	}
	got[0].Containers[0].Origin = "changed after ListPending"
	if c := mustGet(t, repo, got[0].ID); c.Containers[0].Origin == "changed after ListPending" {
		t.Error("stored consignment changed through a ListPending copy")
	}
}

func testConcurrentDeletePending(t *testing.T, repo Repository) {
	ctx := context.Background()
	for round := range 10 {
		id := fmt.Sprintf("p-%d", round)
		mustCreate(t, repo, NewPending(id, "owner", 0))
		errs := storetesting.Race(8, func(int) error { return repo.DeletePending(ctx, id) })
		if won := storetesting.Winners(t, fmt.Sprintf("round %d: DeletePending", round), errs, consignment.ErrNotFound); len(won) != 1 {
			t.Fatalf("round %d: deletes %v succeeded, want exactly one", round, won)
		}
		if _, err := repo.Get(ctx, id); !errors.Is(err, consignment.ErrNotFound) {
			t.Errorf("round %d: Get(%q) after the deletes = %v, want ErrNotFound", round, id, err)
		}
	}
}

// testCreateAfterContextEnded checks that a Create whose context has
// ended, by cancelation or by its deadline, stores nothing: the service
// relies on it not to store a consignment after its deadline.
func testCreateAfterContextEnded(t *testing.T, repo Repository) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer cancelExpired()
	for name, ctx := range map[string]context.Context{"canceled": canceled, "past its deadline": expired} {
		c := NewConsignment("c-" + name)
		if err := repo.Create(ctx, c); err == nil {
			t.Errorf("Create with a context %s = nil, want an error", name)
		}
		if _, err := repo.Get(context.Background(), c.ID); !errors.Is(err, consignment.ErrNotFound) {
			t.Errorf("Get after a Create with a context %s = %v, want ErrNotFound", name, err)
		}
	}
}

// testCancelThenGetAndList cancels consignments of user-a, one of them
// named by page tokens issued before: Cancel and Get return them
// cancelled, with a copy of their own; neither listing lists them, and
// the tokens still work.
func testCancelThenGetAndList(t *testing.T, repo Repository) {
	ctx := context.Background()
	mustCreate(t, repo, NewOwned("a", "user-a"), NewOwned("b", "user-b"), NewOwned("c", "user-a"),
		NewConsignment("d"), NewOwned("e", "user-a"))
	tokens := map[string]string{}
	for _, owner := range []string{"", "user-a"} {
		items, next, err := repo.List(ctx, owner, 1, "")
		if err != nil || next == "" || !slices.Equal(ids(items), []string{"a"}) {
			t.Fatalf("List(%q, 1, \"\") = %v, next %q, %v; want [a] and a next page", owner, ids(items), next, err)
		}
		tokens[owner] = next
	}

	for _, id := range []string{"a", "c"} {
		want := Cancelled(NewOwned(id, "user-a"))
		got := mustCancel(t, repo, id, "user-a")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Cancel(%q) mismatch (-want +got):\n%s", id, diff)
		}
		got.Containers[0].Origin = "changed after Cancel"
		assertStored(t, repo, want, fmt.Sprintf("Get(%q) after Cancel", id))
	}

	for owner, want := range map[string][]string{"": {"b", "d", "e"}, "user-a": {"e"}, "user-b": {"b"}} {
		if got, _ := listOwnerAll(t, repo, owner, 100); !slices.Equal(got, want) {
			t.Errorf("List(%q) after the cancels = %v, want %v", owner, got, want)
		}
		if got, pages := listOwnerAll(t, repo, owner, 1); !slices.Equal(got, want) || pages != len(want) {
			t.Errorf("List(%q) in pages of 1 after the cancels = %v in %d pages, want %v in %d", owner, got, pages, want, len(want))
		}
	}
	for owner, want := range map[string][]string{"": {"b", "d", "e"}, "user-a": {"e"}} {
		items, next, err := repo.List(ctx, owner, 0, tokens[owner])
		if err != nil || !slices.Equal(ids(items), want) || next != "" {
			t.Errorf("List(%q, 0, token issued before the cancels) = %v, next %q, %v; want %v", owner, ids(items), next, err, want)
		}
	}
}

// testCancelAgain cancels a cancelled consignment, as its owner and as an
// operator: each returns it as it is, and nothing changes.
func testCancelAgain(t *testing.T, repo Repository) {
	mustCreate(t, repo, NewOwned("a", "user-a"), NewOwned("b", "user-a"))
	first := mustCancel(t, repo, "a", "user-a")
	for _, owner := range []string{"user-a", ""} {
		if diff := cmp.Diff(first, mustCancel(t, repo, "a", owner)); diff != "" {
			t.Errorf("Cancel(a, %q) again (-first +again):\n%s", owner, diff)
		}
		assertStored(t, repo, first, "Get(a) after a repeated Cancel")
	}
	if got, _ := listOwnerAll(t, repo, "user-a", 100); !slices.Equal(got, []string{"b"}) {
		t.Errorf("List(user-a) after the repeats = %v, want [b]", got)
	}
}

// testCancelByOperator: owner "" cancels any consignment, of any owner or
// of none.
func testCancelByOperator(t *testing.T, repo Repository) {
	mustCreate(t, repo, NewOwned("a", "user-a"), NewConsignment("none"), NewOwned("b", "user-b"))
	for _, want := range []consignment.Consignment{NewOwned("a", "user-a"), NewConsignment("none")} {
		if diff := cmp.Diff(Cancelled(want), mustCancel(t, repo, want.ID, "")); diff != "" {
			t.Errorf("Cancel(%q, \"\") mismatch (-want +got):\n%s", want.ID, diff)
		}
	}
	if got, _ := listAll(t, repo, 100); !slices.Equal(got, []string{"b"}) {
		t.Errorf("List after the cancels = %v, want [b]", got)
	}
}

// testCancelNotFound: a cancel of a missing id, of a pending consignment,
// or of another owner's consignment, booked or cancelled, is ErrNotFound
// and changes nothing.
func testCancelNotFound(t *testing.T, repo Repository) {
	pending := NewPending("p", "lease-owner", time.Minute)
	pending.Owner = "user-a"
	mustCreate(t, repo, NewOwned("a", "user-a"), NewConsignment("none"), pending, NewOwned("x", "user-a"))
	cancelled := mustCancel(t, repo, "x", "user-a")
	tests := []struct{ name, id, owner string }{
		{name: "missing", id: "missing"},
		{name: "missing, as an owner", id: "missing", owner: "user-a"},
		{name: "pending", id: "p"},
		{name: "pending, as its owner", id: "p", owner: "user-a"},
		{name: "another owner's", id: "a", owner: "user-b"},
		{name: "another owner's, cancelled", id: "x", owner: "user-b"},
		{name: "of no owner, as an owner", id: "none", owner: "user-a"},
	}
	for _, tt := range tests {
		c, err := repo.Cancel(context.Background(), tt.id, tt.owner)
		checkErr(t, fmt.Sprintf("%s: Cancel(%q, %q)", tt.name, tt.id, tt.owner), err, consignment.ErrNotFound)
		if err != nil && c.ID != "" {
			t.Errorf("%s: Cancel(%q, %q) returned %q with its error", tt.name, tt.id, tt.owner, c.ID)
		}
	}
	for _, want := range []consignment.Consignment{NewOwned("a", "user-a"), NewConsignment("none"), pending, cancelled} {
		assertStored(t, repo, want, fmt.Sprintf("a refused Cancel changed %q", want.ID))
	}
}

// testCreateCancelledID: a cancelled consignment's id stays taken.
func testCreateCancelledID(t *testing.T, repo Repository) {
	mustCreate(t, repo, NewOwned("a", "user-a"))
	want := mustCancel(t, repo, "a", "user-a")
	for _, c := range []consignment.Consignment{NewOwned("a", "user-a"), NewConsignment("a")} {
		checkErr(t, fmt.Sprintf("Create(id of a cancelled consignment, owner %q)", c.Owner), repo.Create(context.Background(), c), consignment.ErrConflict)
	}
	assertStored(t, repo, want, "a refused Create changed the cancelled consignment")
}

// testConcurrentCancel cancels one consignment from several goroutines, as
// its owner and as an operator: every cancel succeeds and returns the one
// final state.
func testConcurrentCancel(t *testing.T, repo Repository) {
	want := Cancelled(NewOwned("a", "user-a"))
	mustCreate(t, repo, NewOwned("a", "user-a"))
	got := make([]consignment.Consignment, 8)
	errs := storetesting.Race(len(got), func(i int) error {
		var err error
		got[i], err = repo.Cancel(context.Background(), "a", []string{"user-a", ""}[i%2])
		return err
	})
	for i := range got {
		if errs[i] != nil {
			t.Errorf("cancel %d = %v, want nil", i, errs[i])
		} else if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Errorf("cancel %d mismatch (-want +got):\n%s", i, diff)
		}
	}
	assertStored(t, repo, want, "Get(a) after the cancels")
}

func testHolder(t *testing.T, repo Repository) {
	ctx := context.Background()
	first, err := repo.Holder(ctx)
	if err != nil || first == "" {
		t.Fatalf("Holder() = %q, %v; want an id", first, err)
	}
	mustCreate(t, repo, NewConsignment("c-1"))
	if again, err := repo.Holder(ctx); err != nil || again != first {
		t.Errorf("Holder() again = %q, %v; want %q", again, err, first)
	}
}

// testHoldersOfTwoStores checks that two stores (two databases or files)
// have holder ids of their own, so that neither settles the other's holds.
func testHoldersOfTwoStores(t *testing.T, open func(*testing.T) Repository) {
	a, err := open(t).Holder(context.Background())
	if err != nil {
		t.Fatalf("Holder() = %v", err)
	}
	b, err := open(t).Holder(context.Background())
	if err != nil {
		t.Fatalf("Holder() = %v", err)
	}
	if a == b {
		t.Errorf("two stores have the holder id %q, want one each", a)
	}
}

func testConcurrentHolder(t *testing.T, repo Repository) {
	got := make([]string, 16)
	errs := storetesting.Race(len(got), func(i int) error {
		var err error
		got[i], err = repo.Holder(context.Background())
		return err
	})
	for i := range got {
		if errs[i] != nil || got[i] == "" || got[i] != got[0] {
			t.Errorf("Holder call %d = %q, %v; want %q as every call", i, got[i], errs[i], got[0])
		}
	}
}

// AssertUnavailable checks that every method of repo fails with
// consignment.ErrUnavailable, each within within when it is positive. when
// says why, for the messages: "on a closed store".
func AssertUnavailable(t *testing.T, repo consignment.Repository, when string, within time.Duration) {
	t.Helper()
	ctx := t.Context()
	storetesting.AssertErrors(t, storetesting.Calls{
		"Create":        func() error { return repo.Create(ctx, NewConsignment("c-1")) },
		"Get":           func() error { _, err := repo.Get(ctx, "c-1"); return err },
		"List":          func() error { _, _, err := repo.List(ctx, "", 10, ""); return err },
		"Holder":        func() error { _, err := repo.Holder(ctx); return err },
		"DeletePending": func() error { return repo.DeletePending(ctx, "c-1") },
		"Cancel":        func() error { _, err := repo.Cancel(ctx, "c-1", ""); return err },
		"ListPending":   func() error { _, err := repo.ListPending(ctx, time.Now(), 10); return err },
	}, consignment.ErrUnavailable, when, within)
}

// AssertDownThenUp checks a repository whose server is down: every method
// fails with ErrUnavailable within within (AssertUnavailable); once
// restart has started the server again, the same repository stores and
// lists a consignment.
func AssertDownThenUp(t *testing.T, repo consignment.Repository, restart func(), within time.Duration) {
	t.Helper()
	AssertUnavailable(t, repo, "with the server down", within)
	restart()
	want := NewConsignment("c-1")
	if err := repo.Create(t.Context(), want); err != nil {
		t.Fatalf("Create once the server is up: %v", err)
	}
	items, _, err := repo.List(t.Context(), "", 0, "")
	if err != nil || len(items) != 1 || items[0].ID != want.ID {
		t.Errorf("List once the server is up = %+v, %v; want %s", items, err, want.ID)
	}
}
