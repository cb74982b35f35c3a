// Package storetest is the contract every consignment.Repository keeps. Each
// backend's tests call Run with a function that opens an empty repository:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) consignment.Repository { return memory.New() })
//	}
//
// open is called once per subtest and subtests run in parallel, so each call
// must return its own empty repository (its own database or bucket) and
// clean it up with t.Cleanup.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Run runs the contract tests against the repositories open returns.
func Run(t *testing.T, open func(t *testing.T) consignment.Repository) {
	t.Helper()
	tests := []struct {
		name string
		test func(t *testing.T, repo consignment.Repository)
	}{
		{"CreateThenGet", testCreateThenGet},
		{"GetMissing", testGetMissing},
		{"CreateTakenID", testCreateTakenID},
		{"KeepsCopies", testKeepsCopies},
		{"ListEmpty", testListEmpty},
		{"ListAllInCreationOrder", testListAllInCreationOrder},
		{"ListPages", testListPages},
		{"ListPageSeesLaterCreates", testListPageSeesLaterCreates},
		{"ListBadPageToken", testListBadPageToken},
		{"ConcurrentCreatesSameID", testConcurrentCreatesSameID},
		{"ConcurrentCreatesDistinctIDs", testConcurrentCreatesDistinctIDs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, open(t))
		})
	}
}

// created is the CreatedAt of the consignments newConsignment returns: a
// time to the millisecond, in UTC, as every repository keeps it.
var created = time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)

// newConsignment returns a valid, booked consignment with the id.
func newConsignment(id string) consignment.Consignment {
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

// mustCreate stores each consignment, failing the test on an error.
func mustCreate(t *testing.T, repo consignment.Repository, cs ...consignment.Consignment) {
	t.Helper()
	for _, c := range cs {
		if err := repo.Create(context.Background(), c); err != nil {
			t.Fatalf("Create(%q) = %v, want nil", c.ID, err)
		}
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

// listAll follows every page of limit consignments and returns the ids, in
// order, and the number of pages.
func listAll(t *testing.T, repo consignment.Repository, limit int) (got []string, pages int) {
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

func testCreateThenGet(t *testing.T, repo consignment.Repository) {
	want := newConsignment("c-1")
	mustCreate(t, repo, want, newConsignment("c-2"))
	got, err := repo.Get(context.Background(), "c-1")
	if err != nil {
		t.Fatalf("Get(c-1) = %v, want nil", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get(c-1) mismatch (-want +got):\n%s", diff)
	}
}

func testGetMissing(t *testing.T, repo consignment.Repository) {
	mustCreate(t, repo, newConsignment("c-1"))
	_, err := repo.Get(context.Background(), "c-2")
	if !errors.Is(err, consignment.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
}

func testCreateTakenID(t *testing.T, repo consignment.Repository) {
	first := newConsignment("c-1")
	mustCreate(t, repo, first)
	different := newConsignment("c-1")
	different.Description = "another consignment"
	for name, c := range map[string]consignment.Consignment{"same": first, "different": different} {
		if err := repo.Create(context.Background(), c); !errors.Is(err, consignment.ErrConflict) {
			t.Errorf("Create(taken id, %s contents) = %v, want ErrConflict", name, err)
		}
	}
	got, err := repo.Get(context.Background(), "c-1")
	if err != nil {
		t.Fatalf("Get(c-1) = %v, want nil", err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("a refused create changed the stored consignment (-want +got):\n%s", diff)
	}
}

func testKeepsCopies(t *testing.T, repo consignment.Repository) {
	ctx := context.Background()
	want := newConsignment("c-1")
	in := newConsignment("c-1")
	mustCreate(t, repo, in)
	in.Containers[0].Origin = "changed after Create"

	got, err := repo.Get(ctx, "c-1")
	if err != nil {
		t.Fatalf("Get(c-1) = %v, want nil", err)
	}
	got.Containers[1].Origin = "changed after Get"
	listed, _, err := repo.List(ctx, 0, "")
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

func testListEmpty(t *testing.T, repo consignment.Repository) {
	items, next, err := repo.List(context.Background(), 0, "")
	if err != nil || len(items) != 0 || next != "" {
		t.Errorf("List(empty) = %d items, %q, %v; want 0 items, \"\", nil", len(items), next, err)
	}
}

func testListAllInCreationOrder(t *testing.T, repo consignment.Repository) {
	// Not in id order: the order is the order of creation.
	want := []string{"c", "a", "d", "b"}
	for _, id := range want {
		mustCreate(t, repo, newConsignment(id))
	}
	items, next, err := repo.List(context.Background(), 0, "")
	if err != nil {
		t.Fatalf("List(0, \"\") = %v, want nil", err)
	}
	if diff := cmp.Diff(want, ids(items)); diff != "" {
		t.Errorf("List(0, \"\") ids (-want +got):\n%s", diff)
	}
	if next != "" {
		t.Errorf("List(0, \"\") next token = %q, want \"\"", next)
	}
	if diff := cmp.Diff(newConsignment("d"), items[2]); diff != "" {
		t.Errorf("listed consignment mismatch (-want +got):\n%s", diff)
	}
}

func testListPages(t *testing.T, repo consignment.Repository) {
	var all []string
	for i := range 5 {
		id := fmt.Sprintf("c-%d", 5-i)
		all = append(all, id)
		mustCreate(t, repo, newConsignment(id))
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

func testListPageSeesLaterCreates(t *testing.T, repo consignment.Repository) {
	ctx := context.Background()
	mustCreate(t, repo, newConsignment("c-1"), newConsignment("c-2"), newConsignment("c-3"))
	first, next, err := repo.List(ctx, 2, "")
	if err != nil || next == "" {
		t.Fatalf("List(2, \"\") = %v, next %q; want a next token", err, next)
	}
	mustCreate(t, repo, newConsignment("c-4"))
	rest, next, err := repo.List(ctx, 0, next)
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

func testListBadPageToken(t *testing.T, repo consignment.Repository) {
	mustCreate(t, repo, newConsignment("c-1"), newConsignment("c-2"))
	for _, token := range []string{"not a token", "%%%", "bm90LWEtdG9rZW4", "MTIzNDU2Nzg5", "🚢"} {
		_, _, err := repo.List(context.Background(), 1, token)
		var fe *consignment.FieldError
		if !errors.As(err, &fe) || fe.Field != "page_token" || !errors.Is(err, consignment.ErrInvalid) {
			t.Errorf("List(1, %q) = %v, want a *FieldError on page_token", token, err)
		}
	}
}

func testConcurrentCreatesSameID(t *testing.T, repo consignment.Repository) {
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := newConsignment("c-1")
			c.Description = fmt.Sprintf("attempt %d", i)
			errs[i] = repo.Create(context.Background(), c)
		})
	}
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("creates %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, consignment.ErrConflict):
			t.Errorf("create %d = %v, want nil or ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no create succeeded")
	}
	got, err := repo.Get(context.Background(), "c-1")
	if err != nil {
		t.Fatalf("Get(c-1) = %v, want nil", err)
	}
	if want := fmt.Sprintf("attempt %d", winner); got.Description != want {
		t.Errorf("stored description = %q, want the winner's %q", got.Description, want)
	}
	items, _, err := repo.List(context.Background(), 0, "")
	if err != nil || len(items) != 1 {
		t.Errorf("List = %d items, %v; want 1 item", len(items), err)
	}
}

func testConcurrentCreatesDistinctIDs(t *testing.T, repo consignment.Repository) {
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = repo.Create(context.Background(), newConsignment(fmt.Sprintf("c-%02d", i)))
		})
	}
	wg.Wait()
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
