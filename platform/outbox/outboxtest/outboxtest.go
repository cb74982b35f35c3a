// Package outboxtest is the outbox part of a store's contract suite
// (docs/outbox.md): the events a create is given are stored with the fact,
// or not at all, and wait, in creation order, until Done. A service's
// storetest adds Tests to its suite.
package outboxtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
)

// Target is a store under test: its outbox, and the write that stores a
// fact with the events that announce it.
type Target struct {
	// Store is the store's outbox.
	Store outbox.Store
	// Create stores a new fact known by key, with events in the outbox:
	// both or neither. Keys are short ("k-1"); each test uses its own.
	// The create of a key that is stored already fails with an error
	// matching Conflict.
	Create func(ctx context.Context, key string, events ...outbox.Message) error
	// Conflict is the error of a Create of a stored key.
	Conflict error
	// Exists reports whether the fact of key is stored.
	Exists func(ctx context.Context, key string) (bool, error)
}

// Tests returns the outbox tests, for a storetesting suite over
// repositories of type R; target adapts a repository. The test of
// concurrent creates is not named Concurrent...: a unique key holds on
// every server, FerretDB v1 included.
func Tests[R any](target func(R) Target) []storetesting.Test[R] {
	adapt := func(test func(*testing.T, Target)) func(*testing.T, R) {
		return func(t *testing.T, repo R) { test(t, target(repo)) }
	}
	return []storetesting.Test[R]{
		{Name: "OutboxCreateStoresEvents", Run: adapt(testCreateStoresEvents)},
		{Name: "OutboxOrderLimitAndDone", Run: adapt(testOrderLimitAndDone)},
		{Name: "OutboxConcurrentCreatesSameKey", Run: adapt(testConcurrentCreatesSameKey)},
		{Name: "OutboxNothingWhenNotStored", Run: adapt(testNothingWhenNotStored)},
		{Name: "OutboxKeepsCopies", Run: adapt(testKeepsCopies)},
	}
}

// created is the CreatedAt of the events NewEvent returns: to the
// millisecond, in UTC, as every store keeps it.
var created = time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)

// NewEvent returns the n-th event announcing the fact of key.
func NewEvent(key string, n int) outbox.Message {
	return outbox.Message{
		ID:        fmt.Sprintf("event-%s-%d", key, n),
		Subject:   "shippy.test.happened",
		Data:      fmt.Appendf(nil, "payload of %s #%d", key, n),
		CreatedAt: created,
	}
}

// AssertPending checks that the outbox of s holds want, in that order,
// and that Count says so; what says when, for the messages.
func AssertPending(t *testing.T, s outbox.Store, want []outbox.Message, what string) {
	t.Helper()
	got := mustPending(t, s, len(want)+10)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: Pending (-want +got):\n%s", what, diff)
	}
	if n, err := s.Count(context.Background()); err != nil || n != len(want) {
		t.Errorf("%s: Count = %d, %v; want %d", what, n, err, len(want))
	}
}

// mustPending returns the first limit pending events, failing the test on
// an error.
func mustPending(t *testing.T, s outbox.Store, limit int) []outbox.Message {
	t.Helper()
	got, err := s.Pending(context.Background(), limit)
	if err != nil {
		t.Fatalf("Pending(%d) = %v, want nil", limit, err)
	}
	return got
}

// mustCreate creates the fact of key with events, failing the test on an
// error.
func (tg Target) mustCreate(t *testing.T, key string, events ...outbox.Message) {
	t.Helper()
	if err := tg.Create(context.Background(), key, events...); err != nil {
		t.Fatalf("Create(%s) = %v, want nil", key, err)
	}
}

// assertExists checks whether the fact of key is stored.
func (tg Target) assertExists(t *testing.T, key string, want bool, what string) {
	t.Helper()
	if got, err := tg.Exists(context.Background(), key); err != nil || got != want {
		t.Errorf("%s: Exists(%s) = %t, %v; want %t", what, key, got, err, want)
	}
}

func testCreateStoresEvents(t *testing.T, tg Target) {
	AssertPending(t, tg.Store, nil, "empty store")
	events := []outbox.Message{NewEvent("k-1", 1), NewEvent("k-1", 2)}
	tg.mustCreate(t, "k-1", events...)
	tg.assertExists(t, "k-1", true, "created with events")
	AssertPending(t, tg.Store, events, "after Create")
	// A Create without events adds none.
	tg.mustCreate(t, "k-2")
	AssertPending(t, tg.Store, events, "after a Create without events")
}

func testOrderLimitAndDone(t *testing.T, tg Target) {
	ctx := context.Background()
	var events []outbox.Message
	for i := range 5 {
		key := fmt.Sprintf("k-%d", i)
		e := NewEvent(key, 0)
		tg.mustCreate(t, key, e)
		events = append(events, e)
	}
	if got := mustPending(t, tg.Store, 3); !slices.Equal(ids(got), ids(events[:3])) {
		t.Errorf("Pending(3) = %v, want the first three: %v", ids(got), ids(events[:3]))
	}
	done := []string{events[0].ID, events[1].ID}
	for range 2 { // Done again changes nothing
		if err := tg.Store.Done(ctx, done); err != nil {
			t.Fatalf("Done(%v) = %v, want nil", done, err)
		}
		AssertPending(t, tg.Store, events[2:], "after Done of the first two")
	}
	if err := tg.Store.Done(ctx, []string{"no-such-event", events[3].ID}); err != nil {
		t.Fatalf("Done of an unknown id = %v, want nil", err)
	}
	AssertPending(t, tg.Store, []outbox.Message{events[2], events[4]}, "after Done of the fourth")
	if err := tg.Store.Done(ctx, nil); err != nil {
		t.Errorf("Done(nil) = %v, want nil", err)
	}
	if err := tg.Store.Done(ctx, ids(events)); err != nil {
		t.Fatalf("Done(all) = %v, want nil", err)
	}
	AssertPending(t, tg.Store, nil, "after Done of all")
	for i := range 5 {
		tg.assertExists(t, fmt.Sprintf("k-%d", i), true, "after its event was done")
	}
}

// testConcurrentCreatesSameKey: of concurrent creates of one key, each
// with an event of its own, only the winner's event is stored.
func testConcurrentCreatesSameKey(t *testing.T, tg Target) {
	errs := storetesting.Race(8, func(i int) error {
		return tg.Create(context.Background(), "k-1", NewEvent("k-1", i))
	})
	won := storetesting.Winners(t, "create", errs, tg.Conflict)
	if len(won) != 1 {
		t.Fatalf("creates %v succeeded, want exactly one", won)
	}
	AssertPending(t, tg.Store, []outbox.Message{NewEvent("k-1", won[0])}, "after racing creates")
}

// testNothingWhenNotStored: a Create that stores no fact (a taken key, an
// ended context, an event without an id or subject) stores no event.
func testNothingWhenNotStored(t *testing.T, tg Target) {
	ctx := context.Background()
	first := NewEvent("k-1", 1)
	tg.mustCreate(t, "k-1", first)
	if err := tg.Create(ctx, "k-1", NewEvent("k-1", 2)); !errors.Is(err, tg.Conflict) {
		t.Errorf("Create of a taken key = %v, want %v", err, tg.Conflict)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := tg.Create(canceled, "k-2", NewEvent("k-2", 1)); err == nil {
		t.Errorf("Create with a canceled context = nil, want an error")
	}
	for _, bad := range []outbox.Message{{Subject: "shippy.test.happened"}, {ID: "event-no-subject"}} {
		if err := tg.Create(ctx, "k-3", NewEvent("k-3", 1), bad); err == nil {
			t.Errorf("Create with the event %+v = nil, want an error", bad)
		}
	}
	for _, key := range []string{"k-2", "k-3"} {
		tg.assertExists(t, key, false, "after a failed Create")
	}
	AssertPending(t, tg.Store, []outbox.Message{first}, "after Creates that stored nothing")
}

// testKeepsCopies: changing an event's data after Create, or after
// Pending, does not change what is stored.
func testKeepsCopies(t *testing.T, tg Target) {
	e := NewEvent("k-1", 1)
	given := e
	given.Data = slices.Clone(e.Data)
	tg.mustCreate(t, "k-1", given)
	given.Data[0] = 'X'
	got := mustPending(t, tg.Store, 1)
	if len(got) == 1 && len(got[0].Data) > 0 {
		got[0].Data[0] = 'Y'
	}
	AssertPending(t, tg.Store, []outbox.Message{e}, "after changing the data given and returned")
}

// ids returns the ids of ms.
func ids(ms []outbox.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
