package mongo_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/store/storetesting"

	mongostore "github.com/shippy-suite/shippy/shippy-service-vessel/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/storetest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// TestTwoInstances races bookings through two stores, each with a client
// of its own, over one database, as two vessel service instances would:
// the vessel is never overbooked.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	dbs := storetesting.MongoInstances(t, 2)
	stores := [2]*mongostore.Store{storetesting.MustOpen(t, mongostore.New, dbs[0]), storetesting.MustOpen(t, mongostore.New, dbs[1])}
	v := vessel.Vessel{ID: "a", Capacity: 7, MaxWeight: 80, Available: true}
	if err := stores[0].Create(t.Context(), v); err != nil {
		t.Fatalf("Create: %v", err)
	}
	const tries = 100
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			b := vessel.Booking{ConsignmentID: fmt.Sprint("c", i), VesselID: "a", Containers: 1, Weight: 10}
			_, errs[i] = stores[i%2].TakeRoom(t.Context(), b)
		})
	}
	wg.Wait()
	booked := 0
	for i, err := range errs {
		switch {
		case err == nil:
			booked++
		case !errors.Is(err, vessel.ErrNoRoom):
			t.Errorf("TakeRoom c%d: %v", i, err)
		}
	}
	if booked != 7 {
		t.Errorf("%d bookings succeeded, want 7", booked)
	}
	got, err := stores[1].Get(t.Context(), "a")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.UsedCapacity != 7 || got.UsedWeight != 70 {
		t.Errorf("vessel after the race = %+v, want 7 containers and 70 kg used", got)
	}
}

// TestServerDownAtStart checks that a store made while the server is down
// fails each call with ErrUnavailable, within the client's timeout, and
// works once the server is up, without being made again.
func TestServerDownAtStart(t *testing.T) {
	t.Parallel()
	db, restart := storetesting.StoppedFerretDB(t, storetesting.OutageCallTimeout)
	storetest.AssertDownThenUp(t, storetesting.MustOpen(t, mongostore.New, db), restart, 3*storetesting.OutageCallTimeout)
}

// TestServerDownDuringCalls stops the server (SIGKILL, as a crash) between
// bookings and starts it again on the same address and data: calls fail
// with ErrUnavailable, within the client's timeout, while it is down, and
// succeed again once it is back, through the same store. Booking every
// consignment again then, as a client retries, books each exactly once: no
// booking is lost or taken twice, and the vessel's used room is the sum of
// its bookings.
func TestServerDownDuringCalls(t *testing.T) {
	t.Parallel()
	srv, db := storetesting.FerretDB(t, storetesting.OutageCallTimeout)
	store := storetesting.MustOpen(t, mongostore.New, db)
	ctx := t.Context()
	v := vessel.Vessel{ID: "a", Capacity: 1000, MaxWeight: 100000, Available: true}
	if err := store.Create(ctx, v); err != nil {
		t.Fatalf("Create: %v", err)
	}
	svc, err := vessel.NewService(store, func() string { return "unused" }, time.Now)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}

	request := func(i int) vessel.BookRequest {
		return vessel.BookRequest{ConsignmentID: fmt.Sprint("c", i), Containers: 1, Weight: int32(10 + i)}
	}
	// Book one consignment after the other; stop the server after the
	// tenth, and go on until three in a row have failed.
	calls := storetesting.ThroughOutage(t, srv, 10, func(i int) error {
		_, _, err := svc.Book(ctx, request(i))
		return err
	}, vessel.ErrUnavailable, 3*storetesting.OutageCallTimeout)
	storetest.AssertUnavailable(t, store, "with the server down", 3*storetesting.OutageCallTimeout)

	srv.Restart(t)
	// Every Book succeeded before the outage or is retried now.
	var wantContainers, wantWeight int32
	for i := range calls {
		req := request(i)
		b, _, err := svc.Book(ctx, req)
		if err != nil {
			t.Fatalf("Book %d after the restart: %v", i, err)
		}
		if b.Containers != req.Containers || b.Weight != req.Weight {
			t.Errorf("Book %d after the restart = %+v, want the request's room", i, b)
		}
		wantContainers += req.Containers
		wantWeight += req.Weight
	}
	got, err := store.Get(ctx, "a")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.UsedCapacity != wantContainers || got.UsedWeight != wantWeight {
		t.Errorf("vessel after the retries uses %d containers and %d kg, want %d and %d (each consignment once)",
			got.UsedCapacity, got.UsedWeight, wantContainers, wantWeight)
	}
}
