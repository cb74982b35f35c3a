// Package mongo is a vessel.Repository in a MongoDB database, through the
// official driver. Several vessel service instances may share one
// database: every change of room is one atomic single-document update, so
// no two instances can overbook a vessel, and no transaction is needed.
// Collections (record.go):
//
//	vessels   _id: vessel id; the room used and remaining, and booked: the consignments it is for
//	bookings  _id: consignment id; vessel_id, containers, weight, claim, claimed_at,
//	          and while held: holder, held_until, releasing (holds.go)
//
// A booking is written in two steps, a claim then the room, and is a
// booking only once its vessel lists it: a crash between them leaves a
// claim that holds no room. See docs/vessel-booking.md and
// docs/mongo-stores.md.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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

// Defaults of the claim timing (see docs/vessel-booking.md).
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

	indexed atomic.Bool // the index of ListExpiredHolds exists (setUp)
	setupMu sync.Mutex  // held while creating it
}

// New returns a Store over db. It does not reach the server: the
// collections are created by the first write, and the one index beyond
// _id, of held bookings, by the first ListExpiredHolds. So the store can
// be made while the server is down, and answers once it is up.
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
	d, err := mongodb.FindByID[vesselDoc](ctx, s.vessels, id, options.FindOne().SetProjection(vesselProjection))
	if err != nil {
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
// room (see docs/vessel-booking.md). When taking the room fails on an
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
	d := toBookingDoc(b, primitive.NewObjectID(), time.Now().UTC())
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
// deletes the booking document (see docs/vessel-booking.md). Once the
// room is back the booking is released, so a failure to delete the
// document is not reported: the document is then a stale claim.
func (s *Store) ReleaseRoom(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	d, err := s.findBookingDoc(ctx, consignmentID)
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, err)
	}
	matched, err := s.giveRoomBack(ctx, d)
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, err)
	}
	if !matched {
		// A claim, or a booking a concurrent ReleaseRoom has released.
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, vessel.ErrNotFound)
	}
	_ = s.deleteClaim(ctx, consignmentID, d.Claim)
	return d.toBooking(), nil
}

// giveRoomBack gives the room of booking document d back to its vessel,
// and unlists its consignment there, in one conditional update that
// matches only if the vessel lists it; it reports whether it matched.
func (s *Store) giveRoomBack(ctx context.Context, d bookingDoc) (bool, error) {
	filter := bson.D{
		{Key: fieldID, Value: d.VesselID},
		{Key: fieldBooked, Value: d.ConsignmentID},
	}
	update := bson.D{
		{Key: "$inc", Value: bson.D{
			{Key: fieldUsedCapacity, Value: -d.Containers},
			{Key: fieldUsedWeight, Value: -d.Weight},
			{Key: fieldRemainingCapacity, Value: d.Containers},
			{Key: fieldRemainingWeight, Value: d.Weight},
		}},
		{Key: "$pull", Value: bson.D{{Key: fieldBooked, Value: d.ConsignmentID}}},
	}
	res, err := s.vessels.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, storeError(ctx, err)
	}
	return res.MatchedCount > 0, nil
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
