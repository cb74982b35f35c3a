package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/outbox/outboxtest"
	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// The outbox part of the contract: outboxtest's tests, over consignments
// created by id, and a cancel that leaves the booking's events.

// outboxTests are the outbox tests of the contract.
func outboxTests() []storetesting.Test[Repository] {
	return append(outboxtest.Tests(outboxTarget), storetesting.Test[Repository]{
		Name: "OutboxCancelKeepsEvents", Run: testOutboxCancelKeepsEvents,
	})
}

// outboxTarget adapts repo to outboxtest: a key is a consignment id.
func outboxTarget(repo Repository) outboxtest.Target {
	return outboxtest.Target{
		Store: repo,
		Create: func(ctx context.Context, id string, events ...outbox.Message) error {
			return repo.Create(ctx, NewConsignment(id), events...)
		},
		Conflict: consignment.ErrConflict,
		Exists: func(ctx context.Context, id string) (bool, error) {
			_, err := repo.Get(ctx, id)
			if errors.Is(err, consignment.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		},
	}
}

// testOutboxCancelKeepsEvents: a cancel does not take the booking's
// event out of the outbox: what was booked is announced.
func testOutboxCancelKeepsEvents(t *testing.T, repo Repository) {
	e := outboxtest.NewEvent("c-1", 1)
	if err := repo.Create(context.Background(), NewOwned("c-1", "user-a"), e); err != nil {
		t.Fatalf("Create = %v, want nil", err)
	}
	mustCancel(t, repo, "c-1", "user-a")
	outboxtest.AssertPending(t, repo, []outbox.Message{e}, "after Cancel")
}
