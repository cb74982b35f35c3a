package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Held bookings (see docs/vessel-booking.md): a booking document holds
// its hold, so that one conditional update decides between renewing it
// (BookHeld: the hold has not run out, and no release has begun) and
// releasing it (ReleaseExpiredHold: it has run out; the release marks the
// document first).

// maxBookPasses bounds how often BookHeld reads the fleet again for one
// request after every vessel it tried was taken by concurrent bookings.
const maxBookPasses = 3

// holdsIndexName names the index that serves ListExpiredHolds.
const holdsIndexName = "holder_held_until"

// holdsIndex returns the index that serves ListExpiredHolds: a new value
// each time, because the driver writes into the options it is given.
func holdsIndex() mongo.IndexModel {
	return mongo.IndexModel{
		Keys:    bson.D{{Key: fieldHolder, Value: 1}, {Key: fieldHeldUntil, Value: 1}},
		Options: options.Index().SetName(holdsIndexName),
	}
}

// BookHeld implements vessel.Repository: the requests one after another,
// each as TakeRoom on the first vessel that fits by a copy of the fleet
// read once per call (and again after lost races).
func (s *Store) BookHeld(ctx context.Context, reqs []vessel.BookRequest, hold vessel.Hold, now time.Time) ([]vessel.BookOutcome, error) {
	out := make([]vessel.BookOutcome, len(reqs))
	var fleet []vessel.Vessel
	for i, req := range reqs {
		out[i] = s.bookHeld(ctx, req, hold, now, &fleet)
		if err := out[i].Err; err != nil && !isAnswer(err) {
			for j := i + 1; j < len(out); j++ {
				out[j].Err = err // not tried: the store failed
			}
			break
		}
	}
	return out, nil
}

// isAnswer reports whether err, of a BookHeld outcome, is an answer about
// the request rather than a failure of the store.
func isAnswer(err error) bool {
	return errors.Is(err, vessel.ErrNoRoom) || errors.Is(err, vessel.ErrConflict) ||
		errors.Is(err, vessel.ErrHoldExpired) || errors.Is(err, vessel.ErrHeldElsewhere)
}

// bookHeld is the outcome of one request of BookHeld. *fleet is the fleet
// as read, with the bookings of the requests before; nil to read it.
func (s *Store) bookHeld(ctx context.Context, req vessel.BookRequest, hold vessel.Hold, now time.Time, fleet *[]vessel.Vessel) vessel.BookOutcome {
	for range maxBookPasses {
		if *fleet == nil {
			vessels, err := s.List(ctx)
			if err != nil {
				return vessel.BookOutcome{Err: err}
			}
			*fleet = vessels
		}
		if o, done := s.bookOnce(ctx, req, hold, now, *fleet); done {
			return o
		}
		*fleet = nil // lost to concurrent calls: read the fleet again
	}
	return vessel.BookOutcome{Err: vessel.ErrNoRoom}
}

// bookOnce books req on the first vessel of fleet that fits it, or
// answers for the consignment's booking. It reports false when it lost to
// concurrent calls: every vessel it tried was taken, or the booking it met
// went.
func (s *Store) bookOnce(ctx context.Context, req vessel.BookRequest, hold vessel.Hold, now time.Time, fleet []vessel.Vessel) (vessel.BookOutcome, bool) {
	tried := false
	for i, v := range fleet {
		if !v.Fits(req.Containers, req.Weight) {
			continue
		}
		tried = true
		b := vessel.Booking{
			ConsignmentID: req.ConsignmentID, VesselID: v.ID, Containers: req.Containers, Weight: req.Weight,
			Holder: hold.Holder, HeldUntil: hold.Until,
		}
		after, err := s.TakeRoom(ctx, b)
		switch {
		case err == nil:
			fleet[i] = after
			return vessel.BookOutcome{Booking: b}, true
		case errors.Is(err, vessel.ErrAlreadyBooked):
			return s.rebook(ctx, req, hold, now)
		case errors.Is(err, vessel.ErrNoRoom), errors.Is(err, vessel.ErrNotFound):
			continue // taken (or gone) since the fleet was read
		default:
			return vessel.BookOutcome{Err: err}, true
		}
	}
	if !tried {
		// No room, unless the consignment holds a booking.
		if o, booked := s.rebook(ctx, req, hold, now); booked {
			return o, true
		}
		return vessel.BookOutcome{Err: vessel.ErrNoRoom}, true
	}
	return vessel.BookOutcome{}, false
}

// rebook answers req for a consignment that holds a booking, renewing its
// hold when it has not run out, in one conditional update. It reports
// false when the booking went meanwhile.
func (s *Store) rebook(ctx context.Context, req vessel.BookRequest, hold vessel.Hold, now time.Time) (vessel.BookOutcome, bool) {
	for range 2 { // again when a concurrent call changed the document
		d, err := s.findBookingDoc(ctx, req.ConsignmentID)
		if errors.Is(err, vessel.ErrNotFound) {
			return vessel.BookOutcome{}, false
		}
		if err != nil {
			return vessel.BookOutcome{Err: err}, true
		}
		switch booked, err := s.holdsRoom(ctx, d); {
		case err != nil:
			return vessel.BookOutcome{Err: err}, true
		case !booked:
			return vessel.BookOutcome{}, false // released meanwhile, but for the document
		}
		b := d.toBooking()
		switch {
		case b.Containers != req.Containers || b.Weight != req.Weight:
			return vessel.BookOutcome{Booking: b, Err: vessel.ErrConflict}, true
		case !b.Held():
			return vessel.BookOutcome{Booking: b}, true
		case d.Releasing || b.HoldExpired(now):
			return vessel.BookOutcome{Err: vessel.ErrHoldExpired}, true
		case b.Holder != hold.Holder:
			return vessel.BookOutcome{Err: vessel.ErrHeldElsewhere}, true
		case !hold.Until.After(b.HeldUntil):
			return vessel.BookOutcome{Booking: b}, true
		}
		filter := bson.D{
			{Key: fieldID, Value: req.ConsignmentID},
			{Key: fieldHeldUntil, Value: bson.D{{Key: "$gt", Value: now.UnixMilli()}}},
			{Key: fieldReleasing, Value: bson.D{{Key: "$exists", Value: false}}},
			{Key: fieldHolder, Value: hold.Holder},
		}
		update := bson.D{{Key: "$max", Value: bson.D{{Key: fieldHeldUntil, Value: hold.Until.UnixMilli()}}}}
		var renewed bookingDoc
		err = s.bookings.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&renewed)
		if err == nil {
			return vessel.BookOutcome{Booking: renewed.toBooking()}, true
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return vessel.BookOutcome{Err: storeError(ctx, err)}, true
		}
		// Confirmed, released, or being released since it was read.
	}
	return vessel.BookOutcome{Err: vessel.ErrHoldExpired}, true
}

// Confirm implements vessel.Repository: one update of the held documents
// of the consignments that are not being released.
func (s *Store) Confirm(ctx context.Context, consignmentIDs []string) (int, error) {
	filter := bson.D{
		{Key: fieldID, Value: bson.D{{Key: "$in", Value: consignmentIDs}}},
		{Key: fieldHolder, Value: bson.D{{Key: "$exists", Value: true}}},
		{Key: fieldReleasing, Value: bson.D{{Key: "$exists", Value: false}}},
	}
	update := bson.D{{Key: "$unset", Value: bson.D{{Key: fieldHolder, Value: ""}, {Key: fieldHeldUntil, Value: ""}}}}
	res, err := s.bookings.UpdateMany(ctx, filter, update)
	if err != nil {
		return 0, fmt.Errorf("confirm bookings: %w", storeError(ctx, err))
	}
	return int(res.ModifiedCount), nil
}

// ListExpiredHolds implements vessel.Repository. It may list a claim (see
// docs/vessel-booking.md) left with a hold by a failed call; a
// ReleaseExpiredHold of it answers false and deletes it once it is stale.
func (s *Store) ListExpiredHolds(ctx context.Context, holder string, now time.Time, limit int) ([]vessel.Booking, error) {
	if err := s.setUp(ctx); err != nil {
		return nil, fmt.Errorf("list expired holds: %w", err)
	}
	filter := bson.D{
		{Key: fieldHolder, Value: holder},
		{Key: fieldHeldUntil, Value: bson.D{{Key: "$lte", Value: now.UnixMilli()}}},
	}
	cur, err := s.bookings.Find(ctx, filter, options.Find().SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("list expired holds: %w", storeError(ctx, err))
	}
	var docs []bookingDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list expired holds: %w", storeError(ctx, err))
	}
	out := make([]vessel.Booking, len(docs))
	for i, d := range docs {
		out[i] = d.toBooking()
	}
	return out, nil
}

// ReleaseExpiredHold implements vessel.Repository: it marks the document
// releasing if its hold ran out, which no renewal or confirmation then
// matches, gives the room back as ReleaseRoom does, and deletes the
// document. A failure after the mark leaves it for the next call.
func (s *Store) ReleaseExpiredHold(ctx context.Context, consignmentID string, now time.Time) (bool, error) {
	released, err := s.releaseExpiredHold(ctx, consignmentID, now)
	if err != nil {
		return false, fmt.Errorf("release expired hold of consignment %q: %w", consignmentID, err)
	}
	return released, nil
}

func (s *Store) releaseExpiredHold(ctx context.Context, consignmentID string, now time.Time) (bool, error) {
	filter := bson.D{
		{Key: fieldID, Value: consignmentID},
		{Key: fieldHeldUntil, Value: bson.D{{Key: "$lte", Value: now.UnixMilli()}}},
	}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: fieldReleasing, Value: true}}}}
	var d bookingDoc
	err := s.bookings.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil // no booking, a confirmed one, or one still held
	}
	if err != nil {
		return false, storeError(ctx, err)
	}
	matched, err := s.giveRoomBack(ctx, d)
	if err != nil {
		return false, err
	}
	if !matched && time.Since(d.ClaimedAt) < s.staleClaimAge {
		// A claim whose TakeRoom may still take the room: the next call
		// releases the booking it may become, or deletes the stale claim.
		return false, nil
	}
	// Once the room is back the booking is released: should deleting the
	// document fail, it is a stale claim, deleted by the next call.
	_ = s.deleteClaim(ctx, consignmentID, d.Claim)
	return matched, nil
}

// setUp creates the index of ListExpiredHolds unless an earlier call has.
// Creating an index that exists does nothing, so instances sharing the
// database may do it at once.
func (s *Store) setUp(ctx context.Context) error {
	if s.indexed.Load() {
		return nil
	}
	s.setupMu.Lock()
	defer s.setupMu.Unlock()
	if s.indexed.Load() {
		return nil
	}
	if _, err := s.bookings.Indexes().CreateOne(ctx, holdsIndex()); err != nil {
		return fmt.Errorf("create index %s: %w", holdsIndexName, storeError(ctx, err))
	}
	s.indexed.Store(true)
	return nil
}
