// Package mongo is a vessel.Repository in a MongoDB database, through the
// official driver. Several vessel service instances may share one database:
// every change of room is one atomic single-document update, so no two
// instances can overbook a vessel, and no transaction is needed.
//
// # Layout
//
// Two collections, with this package's own documents (record.go), never the
// domain types:
//
//	vessels   _id: vessel id        the vessel, its used and remaining room, and
//	                                booked: the consignment ids that room is for
//	bookings  _id: consignment id   vessel_id, containers, weight, claim, claimed_at
//
// Every query is by _id, and the _id index is unique, so a consignment has
// at most one booking document; no other index is needed. List sorts by
// _id, which compares strings by their UTF-8 bytes: the order the
// Repository promises.
//
// # Booking in two writes
//
// A booking lives in two documents of two collections, and MongoDB changes
// one document atomically. The vessel document is the one that decides: a
// consignment holds a booking exactly when its booking document exists and
// its vessel lists it in booked. Room and booked change together, in one
// update, so the used room is always the sum of the bookings listed.
//
// TakeRoom first inserts the booking document, a claim: the unique _id
// makes a second claim for the consignment fail (ErrAlreadyBooked). It then
// takes the room in one conditional update of the vessel, which matches
// only if the vessel is available, has the remaining capacity and weight,
// and does not list the consignment yet; the update adds to the used room,
// takes from the remaining room and lists the consignment. If it matches
// nothing, TakeRoom deletes its claim and returns ErrNotFound or ErrNoRoom.
//
// ReleaseRoom first gives the room back in one conditional update that
// matches only if the vessel lists the consignment, and unlists it; then it
// deletes the booking document.
//
// A crash (or an outage) between the two writes leaves a booking document
// its vessel does not list: a claim whose room was never taken, or whose
// room was given back. It is not a booking: FindBooking reports none and no
// room is held for it, so a crash never overbooks and never leaks room.
// What it does is keep its consignment from being claimed again until it
// is stale, 30 seconds old: a TakeRoom that meets a claim waits up to 2
// seconds for it to become a booking (ErrAlreadyBooked) or to go (it
// claims again), as the claim of a concurrent TakeRoom does within
// milliseconds; a stale claim it deletes, and goes on; a young one that
// stays makes it fail with ErrUnavailable, so the client retries later. No
// repair at start and no field marking a booking applied are needed: the
// vessel's list is that mark, written atomically with the room.
//
// The claim age assumes that the writes of a TakeRoom reach the server
// within the 10 seconds it gives itself, and that the clocks of the
// instances sharing the database differ by much less than the 20 seconds
// between the two.
//
// # Errors
//
// mongo.ErrNoDocuments becomes vessel.ErrNotFound and a duplicate key
// vessel.ErrConflict or vessel.ErrAlreadyBooked. A server that cannot be
// selected, a network error and a timeout that is not the caller's own make
// an error that matches vessel.ErrUnavailable; the driver reconnects by
// itself, so calls succeed again once the server is back. Any other driver
// error is internal.
//
// # Servers
//
// The store relies on MongoDB's atomic single-document updates. FerretDB v1
// speaks the protocol but does not make concurrent updates of a document
// atomic: on it the store is correct one call at a time only.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/platform/mongodb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Names of the collections.
const (
	VesselsCollection  = "vessels"
	BookingsCollection = "bookings"
)

// Defaults of the claim timing (see the package documentation).
const (
	// defaultTakeRoomTimeout bounds a TakeRoom, both writes included.
	defaultTakeRoomTimeout = 10 * time.Second
	// defaultStaleClaimAge is the age after which a booking document its
	// vessel does not list is left over from a failed call, not a TakeRoom
	// still in flight.
	defaultStaleClaimAge = 30 * time.Second
	// defaultClaimWait is how long a TakeRoom waits for another call's
	// claim of the same consignment to be decided.
	defaultClaimWait = 2 * time.Second
)

// vesselProjection leaves the list of booked consignments out of vessel
// reads: it grows with the bookings and no read needs it.
var vesselProjection = bson.D{{Key: fieldBooked, Value: 0}}

var _ vessel.Repository = (*Store)(nil)

// Store is a vessel.Repository in a MongoDB database, safe for concurrent
// use. It does not own the database's client: the caller disconnects it
// after the last call.
type Store struct {
	vessels  *mongo.Collection
	bookings *mongo.Collection

	// The claim timing; New sets the defaults, tests shorter ones.
	takeRoomTimeout time.Duration
	staleClaimAge   time.Duration
	claimWait       time.Duration
}

// New returns a Store over db. It does not reach the server: the
// collections are created by the first write, and no index beyond _id is
// needed. So the store can be made while the server is down, and answers
// once it is up.
func New(db *mongo.Database) (*Store, error) {
	if db == nil {
		return nil, errors.New("new mongo vessel store: nil database")
	}
	return &Store{
		vessels:         db.Collection(VesselsCollection),
		bookings:        db.Collection(BookingsCollection),
		takeRoomTimeout: defaultTakeRoomTimeout,
		staleClaimAge:   defaultStaleClaimAge,
		claimWait:       defaultClaimWait,
	}, nil
}

// Create implements vessel.Repository.
func (s *Store) Create(ctx context.Context, v vessel.Vessel) error {
	_, err := s.vessels.InsertOne(ctx, toVesselDoc(v))
	if mongo.IsDuplicateKeyError(err) {
		err = vessel.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("create vessel %q: %w", v.ID, storeError(ctx, err))
	}
	return nil
}

// Get implements vessel.Repository.
func (s *Store) Get(ctx context.Context, id string) (vessel.Vessel, error) {
	v, err := s.get(ctx, id)
	if err != nil {
		return vessel.Vessel{}, fmt.Errorf("get vessel %q: %w", id, err)
	}
	return v, nil
}

func (s *Store) get(ctx context.Context, id string) (vessel.Vessel, error) {
	var d vesselDoc
	opts := options.FindOne().SetProjection(vesselProjection)
	if err := s.vessels.FindOne(ctx, bson.D{{Key: fieldID, Value: id}}, opts).Decode(&d); err != nil {
		return vessel.Vessel{}, storeError(ctx, err)
	}
	return d.toVessel(), nil
}

// List implements vessel.Repository.
func (s *Store) List(ctx context.Context) ([]vessel.Vessel, error) {
	opts := options.Find().SetSort(bson.D{{Key: fieldID, Value: 1}}).SetProjection(vesselProjection)
	cur, err := s.vessels.Find(ctx, bson.D{}, opts)
	if err != nil {
		return nil, fmt.Errorf("list vessels: %w", storeError(ctx, err))
	}
	var docs []vesselDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list vessels: %w", storeError(ctx, err))
	}
	vessels := make([]vessel.Vessel, len(docs))
	for i, d := range docs {
		vessels[i] = d.toVessel()
	}
	return vessels, nil
}

// TakeRoom implements vessel.Repository: it writes a claim, then takes the
// room (see the package documentation). When taking the room fails on an
// unavailable server, the claim stays: the update may have been applied
// before the answer was lost, and FindBooking tells which.
func (s *Store) TakeRoom(ctx context.Context, b vessel.Booking) (vessel.Vessel, error) {
	ctx, cancel := context.WithTimeout(ctx, s.takeRoomTimeout)
	defer cancel()
	claim, err := s.claim(ctx, b)
	if err != nil {
		return vessel.Vessel{}, fmt.Errorf("take room for consignment %q: %w", b.ConsignmentID, err)
	}
	v, err := s.takeRoom(ctx, b)
	if errors.Is(err, vessel.ErrNoRoom) || errors.Is(err, vessel.ErrNotFound) {
		// No room was taken. Should deleting the claim fail, it goes
		// stale and the next TakeRoom of the consignment deletes it.
		_ = s.deleteClaim(ctx, b.ConsignmentID, claim)
	}
	if err != nil {
		return vessel.Vessel{}, fmt.Errorf("take room for consignment %q: %w", b.ConsignmentID, err)
	}
	return v, nil
}

// errClaimPending is the ErrUnavailable of a TakeRoom that met a claim of
// its consignment that is neither decided nor stale.
var errClaimPending = fmt.Errorf("%w: the consignment is being booked by another call, "+
	"or was by a call an outage interrupted; retry later", vessel.ErrUnavailable)

// claim inserts the booking document of b and returns its claim id. It
// returns ErrAlreadyBooked when the consignment holds a booking, and
// deletes a stale claim of the consignment first.
func (s *Store) claim(ctx context.Context, b vessel.Booking) (primitive.ObjectID, error) {
	d := bookingDoc{
		ConsignmentID: b.ConsignmentID,
		VesselID:      b.VesselID,
		Containers:    b.Containers,
		Weight:        b.Weight,
		Claim:         primitive.NewObjectID(),
		ClaimedAt:     time.Now().UTC(),
	}
	waitUntil := time.Now().Add(s.claimWait)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		_, err := s.bookings.InsertOne(ctx, d)
		if err == nil {
			return d.Claim, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return primitive.ObjectID{}, storeError(ctx, err)
		}
		other, err := s.findBookingDoc(ctx, b.ConsignmentID)
		if errors.Is(err, vessel.ErrNotFound) {
			continue // deleted meanwhile: claim again
		}
		if err != nil {
			return primitive.ObjectID{}, err
		}
		switch booked, err := s.holdsRoom(ctx, other); {
		case err != nil:
			return primitive.ObjectID{}, err
		case booked:
			return primitive.ObjectID{}, vessel.ErrAlreadyBooked
		case time.Since(other.ClaimedAt) >= s.staleClaimAge:
			if err := s.deleteClaim(ctx, other.ConsignmentID, other.Claim); err != nil {
				return primitive.ObjectID{}, err
			}
			continue
		case time.Now().After(waitUntil):
			return primitive.ObjectID{}, errClaimPending
		}
		select {
		case <-ctx.Done():
			return primitive.ObjectID{}, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// takeRoom is the one conditional update that takes b's room on its vessel
// and lists b's consignment there. When it matches nothing, it reads the
// vessel to tell ErrNotFound from ErrNoRoom.
func (s *Store) takeRoom(ctx context.Context, b vessel.Booking) (vessel.Vessel, error) {
	filter := bson.D{
		{Key: fieldID, Value: b.VesselID},
		{Key: fieldAvailable, Value: true},
		{Key: fieldRemainingCapacity, Value: bson.D{{Key: "$gte", Value: b.Containers}}},
		{Key: fieldRemainingWeight, Value: bson.D{{Key: "$gte", Value: b.Weight}}},
		{Key: fieldBooked, Value: bson.D{{Key: "$ne", Value: b.ConsignmentID}}},
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{
			{Key: fieldUsedCapacity, Value: b.Containers},
			{Key: fieldUsedWeight, Value: b.Weight},
			{Key: fieldRemainingCapacity, Value: -b.Containers},
			{Key: fieldRemainingWeight, Value: -b.Weight},
		}},
		{Key: "$push", Value: bson.D{{Key: fieldBooked, Value: b.ConsignmentID}}},
	}
	// No projection: FerretDB v1 does not support one in findAndModify.
	opts := options.FindOneAndUpdate().SetReturnDocument(options.After)
	var d vesselDoc
	err := s.vessels.FindOneAndUpdate(ctx, filter, update, opts).Decode(&d)
	if err == nil {
		return d.toVessel(), nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return vessel.Vessel{}, fmt.Errorf("vessel %q: %w", b.VesselID, storeError(ctx, err))
	}
	// Unmatched on an available vessel with room, the $ne condition failed:
	// the vessel lists the consignment without its claim, which only a
	// write delayed beyond staleClaimAge can leave. No room is a safe
	// answer then.
	if _, err := s.get(ctx, b.VesselID); err != nil {
		return vessel.Vessel{}, fmt.Errorf("vessel %q: %w", b.VesselID, err)
	}
	return vessel.Vessel{}, fmt.Errorf("vessel %q: %w", b.VesselID, vessel.ErrNoRoom)
}

// FindBooking implements vessel.Repository.
func (s *Store) FindBooking(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	b, err := s.findBooking(ctx, consignmentID)
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("find booking of consignment %q: %w", consignmentID, err)
	}
	return b, nil
}

func (s *Store) findBooking(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	d, err := s.findBookingDoc(ctx, consignmentID)
	if err != nil {
		return vessel.Booking{}, err
	}
	booked, err := s.holdsRoom(ctx, d)
	if err != nil {
		return vessel.Booking{}, err
	}
	if !booked {
		return vessel.Booking{}, vessel.ErrNotFound // a claim, not a booking
	}
	return d.toBooking(), nil
}

// ReleaseRoom implements vessel.Repository: it gives the room back, then
// deletes the booking document (see the package documentation). Once the
// room is back the booking is released, so a failure to delete the
// document is not reported: the document is then a stale claim.
func (s *Store) ReleaseRoom(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	d, err := s.findBookingDoc(ctx, consignmentID)
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, err)
	}
	filter := bson.D{
		{Key: fieldID, Value: d.VesselID},
		{Key: fieldBooked, Value: consignmentID},
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{
			{Key: fieldUsedCapacity, Value: -d.Containers},
			{Key: fieldUsedWeight, Value: -d.Weight},
			{Key: fieldRemainingCapacity, Value: d.Containers},
			{Key: fieldRemainingWeight, Value: d.Weight},
		}},
		{Key: "$pull", Value: bson.D{{Key: fieldBooked, Value: consignmentID}}},
	}
	res, err := s.vessels.UpdateOne(ctx, filter, update)
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, storeError(ctx, err))
	}
	if res.MatchedCount == 0 {
		// A claim, or a booking a concurrent ReleaseRoom has released.
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, vessel.ErrNotFound)
	}
	_ = s.deleteClaim(ctx, consignmentID, d.Claim)
	return d.toBooking(), nil
}

// findBookingDoc reads the booking document of the consignment, booking or
// claim, or returns ErrNotFound.
func (s *Store) findBookingDoc(ctx context.Context, consignmentID string) (bookingDoc, error) {
	var d bookingDoc
	if err := s.bookings.FindOne(ctx, bson.D{{Key: fieldID, Value: consignmentID}}).Decode(&d); err != nil {
		return bookingDoc{}, storeError(ctx, err)
	}
	return d, nil
}

// holdsRoom reports whether d's vessel lists d's consignment: whether d is
// a booking rather than a claim.
func (s *Store) holdsRoom(ctx context.Context, d bookingDoc) (bool, error) {
	filter := bson.D{{Key: fieldID, Value: d.VesselID}, {Key: fieldBooked, Value: d.ConsignmentID}}
	opts := options.FindOne().SetProjection(bson.D{{Key: fieldID, Value: 1}})
	err := s.vessels.FindOne(ctx, filter, opts).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeError(ctx, err)
	}
	return true, nil
}

// deleteClaim deletes the booking document of the consignment if the
// claim with this id wrote it.
func (s *Store) deleteClaim(ctx context.Context, consignmentID string, claim primitive.ObjectID) error {
	filter := bson.D{{Key: fieldID, Value: consignmentID}, {Key: fieldClaim, Value: claim}}
	if _, err := s.bookings.DeleteOne(ctx, filter); err != nil {
		return storeError(ctx, err)
	}
	return nil
}

// storeError maps a driver error to the domain's (mongodb.MapError).
func storeError(ctx context.Context, err error) error {
	return mongodb.MapError(ctx, err, vessel.ErrNotFound, vessel.ErrUnavailable)
}
