package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/storetest"
)

// TestReopen checks that what a store acknowledged is in the file when it is
// opened again, in creation order, and that creation order goes on from
// there.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	var want []consignment.Consignment
	for _, id := range []string{"c", "a", "b"} {
		want = append(want, storetest.NewConsignment(id))
	}

	first := mustOpen(t, path)
	for _, c := range want {
		if err := first.Create(ctx, c); err != nil {
			t.Fatalf("Create(%q): %v", c.ID, err)
		}
	}
	// A page token stays valid across the reopening.
	_, token, err := first.List(ctx, "", 1, "")
	if err != nil || token == "" {
		t.Fatalf("List(1, \"\") = %q, %v; want a next page token", token, err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := mustOpen(t, path)
	if err := second.Create(ctx, storetest.NewConsignment("0")); err != nil {
		t.Fatalf("Create(0) after reopening: %v", err)
	}
	want = append(want, storetest.NewConsignment("0"))
	got, next, err := second.List(ctx, "", 0, "")
	if err != nil {
		t.Fatalf("List after reopening: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" || next != "" {
		t.Errorf("List after reopening, next %q (-want +got):\n%s", next, diff)
	}
	got, _, err = second.List(ctx, "", 0, token)
	if err != nil {
		t.Fatalf("List from a token of before the reopening: %v", err)
	}
	if diff := cmp.Diff(want[1:], got); diff != "" {
		t.Errorf("List from a token of before the reopening (-want +got):\n%s", diff)
	}
	if err := second.Create(ctx, storetest.NewConsignment("a")); !errors.Is(err, consignment.ErrConflict) {
		t.Errorf("Create(a) after reopening: error %v, want ErrConflict", err)
	}
}

// TestConcurrentWritesDurable races the writes of many creates, refused
// ones among them, concurrently, so that they share commits,
// and checks that what each call answered is what the file holds after it
// is closed and opened again: every acknowledged write, and nothing of a
// refused one.
func TestConcurrentWritesDurable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// Stored before the race; every write to them during it is refused.
	taken, other := storetest.NewConsignment("taken"), storetest.NewPending("other", "o1", time.Minute)
	for _, c := range []consignment.Consignment{taken, other} {
		if err := s.Create(ctx, c); err != nil {
			t.Fatalf("Create(%q): %v", c.ID, err)
		}
	}

	// Consignment i is created booked (i%4 is 0 or 2), or created pending,
	// as by an earlier release, then deleted (1) or left pending (3).
	const creates = 100
	var wg sync.WaitGroup
	for i := range creates {
		wg.Go(func() {
			c := storetest.NewPending(fmt.Sprint("c", i), fmt.Sprint("owner", i), time.Minute)
			if i%4 == 0 || i%4 == 2 {
				c = storetest.NewConsignment(c.ID)
			}
			if err := s.Create(ctx, c); err != nil {
				t.Errorf("Create(%q): %v", c.ID, err)
				return
			}
			if i%4 == 1 {
				if err := s.DeletePending(ctx, c.ID); err != nil {
					t.Errorf("DeletePending(%q): %v", c.ID, err)
				}
			}
		})
		refused := map[string]func() error{
			"Create(taken)":        func() error { return s.Create(ctx, storetest.NewPending("taken", "o2", time.Minute)) },
			"Create(other)":        func() error { return s.Create(ctx, storetest.NewConsignment("other")) },
			"DeletePending(taken)": func() error { return s.DeletePending(ctx, "taken") },
		}
		for name, call := range refused {
			wg.Go(func() {
				want := consignment.ErrNotFound
				if strings.HasPrefix(name, "Create") {
					want = consignment.ErrConflict
				}
				if err := call(); !errors.Is(err, want) {
					t.Errorf("%s: error %v, want %v", name, err, want)
				}
			})
		}
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	reopened := mustOpen(t, path)
	for _, want := range []consignment.Consignment{taken, other} {
		got, err := reopened.Get(ctx, want.ID)
		if diff := cmp.Diff(want, got); err != nil || diff != "" {
			t.Errorf("Get(%q) after reopening = %v (-want +got):\n%s", want.ID, err, diff)
		}
	}
	wantBooked := []string{"taken"}
	var wantPending []string
	for i := range creates {
		id := fmt.Sprint("c", i)
		want := storetest.NewPending(id, fmt.Sprint("owner", i), time.Minute)
		switch i % 4 {
		case 0, 2:
			wantBooked = append(wantBooked, id)
			want = storetest.NewConsignment(id)
		case 1:
			if c, err := reopened.Get(ctx, id); !errors.Is(err, consignment.ErrNotFound) {
				t.Errorf("Get(%q) of a deleted consignment after reopening = %+v, %v; want ErrNotFound", id, c, err)
			}
			continue
		case 3:
			wantPending = append(wantPending, id)
		}
		got, err := reopened.Get(ctx, id)
		if diff := cmp.Diff(want, got); err != nil || diff != "" {
			t.Errorf("Get(%q) after reopening = %v (-want +got):\n%s", id, err, diff)
		}
	}
	items, _, err := reopened.List(ctx, "", 0, "")
	if err != nil {
		t.Fatalf("List after reopening: %v", err)
	}
	// Creation order is the order of the commits: compare as sets.
	slices.Sort(wantBooked)
	if diff := cmp.Diff(wantBooked, sortedIDs(items)); diff != "" {
		t.Errorf("booked consignments listed after reopening (-want +got):\n%s", diff)
	}
	pending, err := reopened.ListPending(ctx, time.Now().Add(time.Hour), 2*creates)
	if err != nil {
		t.Fatalf("ListPending after reopening: %v", err)
	}
	wantPending = append(wantPending, "other")
	slices.Sort(wantPending)
	if diff := cmp.Diff(wantPending, sortedIDs(pending)); diff != "" {
		t.Errorf("pending consignments after reopening (-want +got):\n%s", diff)
	}
}

// TestStore runs the checks of every store on boltdb: its file errors, and
// that every method of a closed store reports ErrUnavailable.
func TestStore(t *testing.T) {
	t.Parallel()
	boltdbtest.RunStoreTests(t, bolt.Open, "5", "6", func(t *testing.T, s *bolt.Store) {
		storetest.AssertUnavailable(t, s, "on a closed store", 0)
	})
}

// TestCanceled checks that a call whose context is done changes nothing.
func TestCanceled(t *testing.T) {
	t.Parallel()
	s := mustOpen(t, tempPath(t))
	pending := storetest.NewPending("p", "owner", time.Minute)
	if err := s.Create(t.Context(), pending); err != nil {
		t.Fatalf("Create(p): %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	calls := map[string]func() error{
		"Create":        func() error { return s.Create(ctx, storetest.NewConsignment("c-1")) },
		"DeletePending": func() error { return s.DeletePending(ctx, "p") },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: error %v, want context.Canceled", name, err)
		}
	}
	if _, err := s.Get(t.Context(), "c-1"); !errors.Is(err, consignment.ErrNotFound) {
		t.Errorf("Get after a canceled Create: error %v, want ErrNotFound", err)
	}
	got, err := s.Get(t.Context(), "p")
	if diff := cmp.Diff(pending, got); err != nil || diff != "" {
		t.Errorf("Get(p) after canceled calls = %v (-want +got):\n%s", err, diff)
	}
}

// TestReopenPending checks that pending consignments, with their leases,
// survive a reopening, and that the file's pending index lets ListPending
// and DeletePending go on from there.
func TestReopenPending(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	first := mustOpen(t, path)
	for _, c := range []consignment.Consignment{storetest.NewPending("p1", "o1", time.Minute), storetest.NewConsignment("b"), storetest.NewPending("p2", "o2", time.Minute)} {
		if err := first.Create(ctx, c); err != nil {
			t.Fatalf("Create(%q): %v", c.ID, err)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := mustOpen(t, path)
	got, err := second.ListPending(ctx, storetest.NewPending("", "", time.Minute).Lease.Until, 10)
	if err != nil {
		t.Fatalf("ListPending after reopening: %v", err)
	}
	want := []consignment.Consignment{storetest.NewPending("p1", "o1", time.Minute), storetest.NewPending("p2", "o2", time.Minute)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListPending after reopening (-want +got):\n%s", diff)
	}
	for _, id := range []string{"p1", "p2"} {
		if err := second.DeletePending(ctx, id); err != nil {
			t.Fatalf("DeletePending(%s) after reopening: %v", id, err)
		}
	}
	if got, err := second.ListPending(ctx, time.Now(), 10); err != nil || len(got) != 0 {
		t.Errorf("ListPending after settling both = %d, %v; want none", len(got), err)
	}
	items, _, err := second.List(ctx, "", 0, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(items) != 1 || items[0].ID != "b" {
		t.Errorf("List after settling = %+v, want b", items)
	}
}

// TestHolderKept checks that the holder id is made once per file and kept
// across a reopening.
func TestHolderKept(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := tempPath(t)
	first := mustOpen(t, path)
	want, err := first.Holder(ctx)
	if err != nil || want == "" {
		t.Fatalf("Holder() = %q, %v; want an id", want, err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, err := mustOpen(t, path).Holder(ctx); err != nil || got != want {
		t.Errorf("Holder() after reopening = %q, %v; want %q", got, err, want)
	}
}

// sortedIDs returns the ids of cs in byte order.
func sortedIDs(cs []consignment.Consignment) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	slices.Sort(ids)
	return ids
}

func tempPath(t *testing.T) string { return boltdbtest.Path(t, "consignments.db") }

// mustOpen opens the store at path and closes it when the test ends.
func mustOpen(t *testing.T, path string) *bolt.Store {
	t.Helper()
	return boltdbtest.MustOpen(t, bolt.Open, path)
}
