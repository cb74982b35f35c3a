// Package storetest is the contract every notification.Repository keeps.
// Each store's tests run it (Run) with a function that opens an empty
// repository.
//
// open is called once per subtest and subtests run in parallel, so each
// call must return its own empty repository (its own database or file)
// and clean it up with t.Cleanup.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

// Run runs the contract suite on the repositories open returns, adapted
// to the backend by opts (see storetesting.RunSuite).
func Run(t *testing.T, open func(t *testing.T) notification.Repository, opts ...storetesting.Options) {
	t.Helper()
	storetesting.RunSuite(t, []storetesting.Test[notification.Repository]{
		{Name: "SaveThenRecipient", Run: testSaveThenRecipient},
		{Name: "RecipientUnknown", Run: testRecipientUnknown},
		{Name: "SaveReplaces", Run: testSaveReplaces},
		{Name: "RecordThenHandled", Run: testRecordThenHandled},
		{Name: "RecordTwice", Run: testRecordTwice},
		{Name: "AfterContextEnded", Run: testAfterContextEnded},
		{Name: "ConcurrentRecords", Run: testConcurrentRecords},
	}, open, opts...)
}

// sentAt is the SentAt of the records of the suite: to the millisecond, in
// UTC, as every repository keeps it.
var sentAt = time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)

// NewRecipient returns the recipient with the user id id.
func NewRecipient(id string) notification.Recipient {
	return notification.Recipient{UserID: id, Name: "User " + id, Email: id + "@example.com"}
}

// NewSent returns the record of the welcome mail of the event with the id.
func NewSent(eventID string) notification.Sent {
	return notification.Sent{EventID: eventID, Kind: notification.KindWelcome, UserID: "u-1", SentAt: sentAt}
}

func testSaveThenRecipient(t *testing.T, repo notification.Repository) {
	ctx := t.Context()
	for _, id := range []string{"u-1", "u-2"} {
		if err := repo.SaveRecipient(ctx, NewRecipient(id)); err != nil {
			t.Fatalf("SaveRecipient(%s): %v", id, err)
		}
	}
	got, err := repo.Recipient(ctx, "u-2")
	if diff := cmp.Diff(NewRecipient("u-2"), got); diff != "" || err != nil {
		t.Errorf("Recipient(u-2) = %v (-want +got):\n%s", err, diff)
	}
}

func testRecipientUnknown(t *testing.T, repo notification.Repository) {
	if _, err := repo.Recipient(t.Context(), "u-1"); !errors.Is(err, notification.ErrUnknownUser) {
		t.Errorf("Recipient of an empty store = %v, want ErrUnknownUser", err)
	}
}

func testSaveReplaces(t *testing.T, repo notification.Repository) {
	ctx := t.Context()
	r := NewRecipient("u-1")
	if err := repo.SaveRecipient(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Name, r.Email = "Renamed", "new@example.com"
	if err := repo.SaveRecipient(ctx, r); err != nil {
		t.Fatalf("SaveRecipient again: %v", err)
	}
	got, err := repo.Recipient(ctx, "u-1")
	if diff := cmp.Diff(r, got); diff != "" || err != nil {
		t.Errorf("Recipient after a second save = %v (-want +got):\n%s", err, diff)
	}
}

func testRecordThenHandled(t *testing.T, repo notification.Repository) {
	ctx := t.Context()
	if handled, err := repo.Handled(ctx, "e-1"); handled || err != nil {
		t.Fatalf("Handled(e-1) of an empty store = %v, %v; want false, nil", handled, err)
	}
	if err := repo.RecordSent(ctx, NewSent("e-1")); err != nil {
		t.Fatalf("RecordSent: %v", err)
	}
	for id, want := range map[string]bool{"e-1": true, "e-2": false} {
		if handled, err := repo.Handled(ctx, id); handled != want || err != nil {
			t.Errorf("Handled(%s) = %v, %v; want %v", id, handled, err, want)
		}
	}
}

func testRecordTwice(t *testing.T, repo notification.Repository) {
	ctx := t.Context()
	for i := range 2 {
		if err := repo.RecordSent(ctx, NewSent("e-1")); err != nil {
			t.Fatalf("RecordSent #%d: %v, want nil", i+1, err)
		}
	}
	if handled, err := repo.Handled(ctx, "e-1"); !handled || err != nil {
		t.Errorf("Handled(e-1) = %v, %v; want true", handled, err)
	}
}

func testAfterContextEnded(t *testing.T, repo notification.Repository) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := repo.RecordSent(canceled, NewSent("e-1")); err == nil {
		t.Error("RecordSent with a canceled context = nil, want an error")
	}
	if err := repo.SaveRecipient(canceled, NewRecipient("u-1")); err == nil {
		t.Error("SaveRecipient with a canceled context = nil, want an error")
	}
	ctx := t.Context()
	if handled, err := repo.Handled(ctx, "e-1"); handled || err != nil {
		t.Errorf("Handled after a RecordSent with a canceled context = %v, %v; want false", handled, err)
	}
	if _, err := repo.Recipient(ctx, "u-1"); !errors.Is(err, notification.ErrUnknownUser) {
		t.Errorf("Recipient after a SaveRecipient with a canceled context = %v, want ErrUnknownUser", err)
	}
}

// testConcurrentRecords races records of one event, as two replicas
// handling one redelivered event would: all succeed, and it is handled.
func testConcurrentRecords(t *testing.T, repo notification.Repository) {
	ctx := t.Context()
	errs := storetesting.Race(8, func(int) error { return repo.RecordSent(ctx, NewSent("e-1")) })
	for i, err := range errs {
		if err != nil {
			t.Errorf("RecordSent #%d: %v", i, err)
		}
	}
	if handled, err := repo.Handled(ctx, "e-1"); !handled || err != nil {
		t.Errorf("Handled(e-1) = %v, %v; want true", handled, err)
	}
}

// AssertUnavailable checks that every method of repo fails with
// notification.ErrUnavailable, within the time when positive; when says
// in what state ("on a closed store").
func AssertUnavailable(t *testing.T, repo notification.Repository, when string, within time.Duration) {
	t.Helper()
	ctx := t.Context()
	storetesting.AssertErrors(t, storetesting.Calls{
		"SaveRecipient": func() error { return repo.SaveRecipient(ctx, NewRecipient("u-1")) },
		"Recipient":     func() error { _, err := repo.Recipient(ctx, "u-1"); return err },
		"Handled":       func() error { _, err := repo.Handled(ctx, "e-1"); return err },
		"RecordSent":    func() error { return repo.RecordSent(ctx, NewSent("e-1")) },
	}, notification.ErrUnavailable, when, within)
}
