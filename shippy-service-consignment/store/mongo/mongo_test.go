package mongo_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/testenv/mongotest"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	mongostore "github.com/shippy-suite/shippy/shippy-service-consignment/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/storetest"
)

// TestConcurrentCreatesTwoInstances creates consignments at once through
// two stores, each with a client of its own, over one database, as two
// service instances would: each is stored once, at a place of its own in
// creation order.
func TestConcurrentCreatesTwoInstances(t *testing.T) {
	t.Parallel()
	dbs := storetesting.MongoInstances(t, 2)
	stores := [2]*mongostore.Store{storetesting.MustOpen(t, mongostore.New, dbs[0]), storetesting.MustOpen(t, mongostore.New, dbs[1])}
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = stores[i%2].Create(t.Context(), booked(fmt.Sprintf("c-%02d", i)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Create c-%02d: %v", i, err)
		}
	}
	var got []string
	for token := ""; ; {
		items, next, err := stores[0].List(t.Context(), "", 7, token)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, c := range items {
			got = append(got, c.ID)
		}
		if next == "" {
			break
		}
		token = next
	}
	slices.Sort(got)
	if got = slices.Compact(got); len(got) != n {
		t.Errorf("listed %d distinct consignments, want %d", len(got), n)
	}
}

// TestHolderTwoInstances asks two stores over one database, each with a
// client of its own, for the holder id at once, as two service instances
// starting together would: both get the one id, kept in the database.
func TestHolderTwoInstances(t *testing.T) {
	t.Parallel()
	dbs := storetesting.MongoInstances(t, 2)
	const n = 8
	got, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			store := storetesting.MustOpen(t, mongostore.New, dbs[i%2])
			got[i], errs[i] = store.Holder(t.Context())
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] == "" || got[i] != got[0] {
			t.Errorf("Holder call %d = %q, %v; want %q as every call", i, got[i], errs[i], got[0])
		}
	}
}

// TestIndexes checks that the first call creates the indexes the queries
// need.
func TestIndexes(t *testing.T) {
	t.Parallel()
	db := mongotest.NewDatabase(t)
	store := storetesting.MustOpen(t, mongostore.New, db)
	if _, _, err := store.List(t.Context(), "", 0, ""); err != nil {
		t.Fatalf("List: %v", err)
	}
	assertIndexes(t, db.Collection(mongostore.ConsignmentsCollection).Indexes())
}

// TestBeforeOwners opens a database that a store of before owners wrote:
// its indexes but owner_seq, and a document without the owner field. The
// store adds the index; the consignment comes back without an owner, is
// listed with every consignment and by no owner, and an owned one created
// next is listed by its owner.
func TestBeforeOwners(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := mongotest.NewDatabase(t)
	coll := db.Collection(mongostore.ConsignmentsCollection)
	for _, index := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "seq", Value: 1}}, Options: options.Index().SetName("seq_unique").SetUnique(true)},
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "seq", Value: 1}}, Options: options.Index().SetName("status_seq")},
	} {
		if _, err := coll.Indexes().CreateOne(ctx, index); err != nil {
			t.Fatal(err)
		}
	}
	old := booked("old")
	_, err := coll.InsertOne(ctx, bson.D{
		{Key: "_id", Value: old.ID}, {Key: "seq", Value: int64(1)}, {Key: "status", Value: "booked"},
		{Key: "created_at", Value: old.CreatedAt}, {Key: "lease_owner", Value: ""}, {Key: "lease_until", Value: time.Time{}},
		{Key: "description", Value: old.Description}, {Key: "weight", Value: old.Weight},
		{Key: "containers", Value: bson.A{bson.D{{Key: "id", Value: "old-1"}, {Key: "customer_id", Value: "cust001"}, {Key: "origin", Value: "Manchester"}, {Key: "user_id", Value: ""}}}},
		{Key: "vessel_id", Value: old.VesselID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection(mongostore.CountersCollection).InsertOne(ctx, bson.D{{Key: "_id", Value: "consignments"}, {Key: "seq", Value: int64(1)}}); err != nil {
		t.Fatal(err)
	}

	store := storetesting.MustOpen(t, mongostore.New, db)
	owned := booked("owned")
	owned.Owner = "user-a"
	if err := store.Create(ctx, owned); err != nil {
		t.Fatalf("Create: %v", err)
	}
	assertIndexes(t, coll.Indexes())
	if got, err := store.Get(ctx, "old"); err != nil || !cmp.Equal(got, old) {
		t.Errorf("Get(old) = %+v, %v; want %+v", got, err, old)
	}
	for owner, want := range map[string][]string{"": {"old", "owned"}, "user-a": {"owned"}, "user-b": nil} {
		items, _, err := store.List(ctx, owner, 0, "")
		got := make([]string, 0, len(items))
		for _, c := range items {
			got = append(got, c.ID)
		}
		if err != nil || !slices.Equal(got, append([]string{}, want...)) {
			t.Errorf("List(%q) = %v, %v; want %v", owner, got, err, want)
		}
	}
}

// TestServerDownAtStart checks that a store made while the server is down
// fails each call with ErrUnavailable, within the client's timeout, and
// works once the server is up, without being made again: the indexes are
// created then.
func TestServerDownAtStart(t *testing.T) {
	t.Parallel()
	db, restart := storetesting.StoppedFerretDB(t, storetesting.OutageCallTimeout)
	storetest.AssertDownThenUp(t, storetesting.MustOpen(t, mongostore.New, db), restart, 3*storetesting.OutageCallTimeout)
	assertIndexes(t, db.Collection(mongostore.ConsignmentsCollection).Indexes())
}

// TestServerDownDuringCalls stops the server (SIGKILL, as a crash) between
// creates and starts it again on the same address and data: calls fail
// with ErrUnavailable, within the client's timeout, while it is down, and
// succeed again once it is back, through the same store. Creating every
// consignment again then stores each exactly once, in creation order.
func TestServerDownDuringCalls(t *testing.T) {
	t.Parallel()
	srv, db := storetesting.FerretDB(t, storetesting.OutageCallTimeout)
	store := storetesting.MustOpen(t, mongostore.New, db)
	ctx := t.Context()

	// Create one consignment after the other; stop the server after the
	// fifth, and go on until three in a row have failed.
	var ids []string
	calls := storetesting.ThroughOutage(t, srv, 5, func(i int) error {
		return store.Create(ctx, booked(fmt.Sprintf("c-%02d", i)))
	}, consignment.ErrUnavailable, 3*storetesting.OutageCallTimeout)
	for i := range calls {
		ids = append(ids, fmt.Sprintf("c-%02d", i))
	}
	storetest.AssertUnavailable(t, store, "with the server down", 3*storetesting.OutageCallTimeout)

	srv.Restart(t)
	for _, id := range ids {
		// Stored before the outage (ErrConflict), or now.
		if err := store.Create(ctx, booked(id)); err != nil && !errors.Is(err, consignment.ErrConflict) {
			t.Fatalf("Create %s after the restart: %v", id, err)
		}
	}
	items, _, err := store.List(ctx, "", 0, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, c := range items {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("List after the restart = %q, want each consignment once, in creation order: %q", got, ids)
	}
}

// assertIndexes checks that the indexes the queries need exist.
func assertIndexes(t *testing.T, view mongo.IndexView) {
	t.Helper()
	specs, err := view.ListSpecifications(t.Context())
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	got := make(map[string]bool) // name -> unique
	for _, s := range specs {
		got[s.Name] = s.Unique != nil && *s.Unique
	}
	for name, unique := range map[string]bool{"seq_unique": true, "status_seq": false, "owner_seq": false} {
		if u, ok := got[name]; !ok || u != unique {
			t.Errorf("index %s: present %v, unique %v; want present, unique %v", name, ok, u, unique)
		}
	}
}

// booked returns a valid, booked consignment with the id.
func booked(id string) consignment.Consignment {
	return consignment.Consignment{
		ID:          id,
		Description: "consignment " + id,
		Weight:      1000,
		Containers:  []consignment.Container{{ID: id + "-1", CustomerID: "cust001", Origin: "Manchester"}},
		VesselID:    "vessel001",
		Status:      consignment.StatusBooked,
		CreatedAt:   time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}
