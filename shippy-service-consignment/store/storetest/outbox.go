package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// The outbox part of the contract: the events Create is given are stored
// with the consignment, or not at all, and wait, in creation order, until
// Done.

// NewEvent returns the n-th event announcing the consignment with the id,
// written when it was created.
func NewEvent(id string, n int) outbox.Message {
	return outbox.Message{
		ID:        fmt.Sprintf("event-%s-%d", id, n),
		Subject:   "shippy.test.booked",
		Data:      []byte(fmt.Sprintf("payload of %s #%d", id, n)),
		CreatedAt: created,
	}
}

// mustPending returns the first limit pending events, failing the test on
// an error.
func mustPending(t *testing.T, repo Repository, limit int) []outbox.Message {
	t.Helper()
	got, err := repo.Pending(context.Background(), limit)
	if err != nil {
		t.Fatalf("Pending(%d) = %v, want nil", limit, err)
	}
	return got
}

// assertPending checks that the outbox holds want, in that order, and that
// Count says so.
func assertPending(t *testing.T, repo Repository, want []outbox.Message, what string) {
	t.Helper()
	got := mustPending(t, repo, len(want)+10)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: Pending (-want +got):\n%s", what, diff)
	}
	if n, err := repo.Count(context.Background()); err != nil || n != len(want) {
		t.Errorf("%s: Count = %d, %v; want %d", what, n, err, len(want))
	}
}

func testOutboxCreateStoresEvents(t *testing.T, repo Repository) {
	assertPending(t, repo, nil, "empty store")
	c := NewOwned("c-1", "user-a")
	events := []outbox.Message{NewEvent("c-1", 1), NewEvent("c-1", 2)}
	if err := repo.Create(context.Background(), c, events...); err != nil {
		t.Fatalf("Create = %v, want nil", err)
	}
	assertStored(t, repo, c, "created with events")
	assertPending(t, repo, events, "after Create")
	// A Create without events adds none.
	mustCreate(t, repo, NewConsignment("c-2"))
	assertPending(t, repo, events, "after a Create without events")
}

func testOutboxOrderLimitAndDone(t *testing.T, repo Repository) {
	ctx := context.Background()
	var events []outbox.Message
	for i := range 5 {
		id := fmt.Sprintf("c-%d", i)
		e := NewEvent(id, 0)
		if err := repo.Create(ctx, NewConsignment(id), e); err != nil {
			t.Fatalf("Create(%s) = %v, want nil", id, err)
		}
		events = append(events, e)
	}
	if got := mustPending(t, repo, 3); !slices.Equal(eventIDs(got), eventIDs(events[:3])) {
		t.Errorf("Pending(3) = %v, want the first three: %v", eventIDs(got), eventIDs(events[:3]))
	}
	done := []string{events[0].ID, events[1].ID}
	for range 2 { // Done again changes nothing
		if err := repo.Done(ctx, done); err != nil {
			t.Fatalf("Done(%v) = %v, want nil", done, err)
		}
		assertPending(t, repo, events[2:], "after Done of the first two")
	}
	if err := repo.Done(ctx, []string{"no-such-event", events[3].ID}); err != nil {
		t.Fatalf("Done of an unknown id = %v, want nil", err)
	}
	assertPending(t, repo, []outbox.Message{events[2], events[4]}, "after Done of the fourth")
	if err := repo.Done(ctx, nil); err != nil {
		t.Errorf("Done(nil) = %v, want nil", err)
	}
	if err := repo.Done(ctx, eventIDs(events)); err != nil {
		t.Fatalf("Done(all) = %v, want nil", err)
	}
	assertPending(t, repo, nil, "after Done of all")
	for i := range 5 {
		assertStored(t, repo, NewConsignment(fmt.Sprintf("c-%d", i)), "after its event was done")
	}
}

// testOutboxConcurrentCreatesSameID: of concurrent creates of one id,
// each with an event of its own, only the winner's event is stored.
func testOutboxConcurrentCreatesSameID(t *testing.T, repo Repository) {
	errs := storetesting.Race(8, func(i int) error {
		return repo.Create(context.Background(), NewConsignment("c-1"), NewEvent("c-1", i))
	})
	won := storetesting.Winners(t, "create", errs, consignment.ErrConflict)
	if len(won) != 1 {
		t.Fatalf("creates %v succeeded, want exactly one", won)
	}
	assertPending(t, repo, []outbox.Message{NewEvent("c-1", won[0])}, "after racing creates")
}

// testOutboxNothingWhenNotStored: a Create that stores no consignment (a
// taken id, an ended context, an event without an id) stores no event.
func testOutboxNothingWhenNotStored(t *testing.T, repo Repository) {
	ctx := context.Background()
	first := NewEvent("c-1", 1)
	if err := repo.Create(ctx, NewConsignment("c-1"), first); err != nil {
		t.Fatalf("Create = %v, want nil", err)
	}
	if err := repo.Create(ctx, NewConsignment("c-1"), NewEvent("c-1", 2)); !errors.Is(err, consignment.ErrConflict) {
		t.Errorf("Create of a taken id = %v, want ErrConflict", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := repo.Create(canceled, NewConsignment("c-2"), NewEvent("c-2", 1)); err == nil {
		t.Errorf("Create with a canceled context = nil, want an error")
	}
	for _, bad := range []outbox.Message{{Subject: "shippy.test.booked"}, {ID: "event-no-subject"}} {
		if err := repo.Create(ctx, NewConsignment("c-3"), NewEvent("c-3", 1), bad); err == nil {
			t.Errorf("Create with the event %+v = nil, want an error", bad)
		}
	}
	for _, id := range []string{"c-2", "c-3"} {
		if _, err := repo.Get(ctx, id); !errors.Is(err, consignment.ErrNotFound) {
			t.Errorf("Get(%s) after a failed Create = %v, want ErrNotFound", id, err)
		}
	}
	assertPending(t, repo, []outbox.Message{first}, "after Creates that stored nothing")
}

// testOutboxCancelKeepsEvents: a cancel does not take the booking's
// event out of the outbox: what was booked is announced.
func testOutboxCancelKeepsEvents(t *testing.T, repo Repository) {
	e := NewEvent("c-1", 1)
	if err := repo.Create(context.Background(), NewOwned("c-1", "user-a"), e); err != nil {
		t.Fatalf("Create = %v, want nil", err)
	}
	mustCancel(t, repo, "c-1", "user-a")
	assertPending(t, repo, []outbox.Message{e}, "after Cancel")
}

// testOutboxKeepsCopies: changing an event's data after Create, or after
// Pending, does not change what is stored.
func testOutboxKeepsCopies(t *testing.T, repo Repository) {
	e := NewEvent("c-1", 1)
	given := e
	given.Data = slices.Clone(e.Data)
	if err := repo.Create(context.Background(), NewConsignment("c-1"), given); err != nil {
		t.Fatalf("Create = %v, want nil", err)
	}
	given.Data[0] = 'X'
	got := mustPending(t, repo, 1)
	if len(got) == 1 && len(got[0].Data) > 0 {
		got[0].Data[0] = 'Y'
	}
	assertPending(t, repo, []outbox.Message{e}, "after changing the data given and returned")
}

// eventIDs returns the ids of ms.
func eventIDs(ms []outbox.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
