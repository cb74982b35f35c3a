package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// A held booking has, beside its record in the bookings bucket, an entry
// in the holds bucket under its consignment id: when the hold runs out,
// in milliseconds since the Unix epoch as 8 bytes big-endian, then the
// holder's id. Confirming a booking deletes the entry and leaves the
// record alone; the few held bookings are listed without reading the
// others.

// holdTimeBytes is the length of the time at the start of a hold entry.
const holdTimeBytes = 8

// appendHold appends the hold entry of holder until untilMillis to buf.
func appendHold(buf []byte, holder string, untilMillis int64) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(untilMillis))
	return append(buf, holder...)
}

// holdUntil returns the time a hold entry runs out, in milliseconds since
// the Unix epoch; entry must be valid (checkHold).
func holdUntil(entry []byte) int64 {
	return int64(binary.BigEndian.Uint64(entry))
}

// checkHold returns an error if entry is not a hold entry.
func checkHold(entry []byte) error {
	if len(entry) <= holdTimeBytes {
		return fmt.Errorf("hold entry of %d bytes", len(entry))
	}
	return nil
}

// decodeHold returns the holder and the end of a hold entry.
func decodeHold(entry []byte) (string, time.Time, error) {
	if err := checkHold(entry); err != nil {
		return "", time.Time{}, err
	}
	return string(entry[holdTimeBytes:]), time.UnixMilli(holdUntil(entry)).UTC(), nil
}

// errUnchanged is the refusal of a function that found nothing to write:
// its call succeeds, with no commit of its own.
var errUnchanged = errors.New("nothing to change")

// update runs fn with s.db.Update, and makes its refusal errUnchanged a
// success.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	err := s.db.Update(ctx, fn)
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// BookHeld implements vessel.Repository: every request in one function of
// one transaction, which chooses vessels in the fleet kept in memory,
// writes each vessel it changed once, and encodes every key and value it
// puts into one buffer (slab).
func (s *Store) BookHeld(ctx context.Context, reqs []vessel.BookRequest, hold vessel.Hold, now time.Time) ([]vessel.BookOutcome, error) {
	out := make([]vessel.BookOutcome, len(reqs))
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		return s.bookHeld(tx, reqs, hold, now.UnixMilli(), out)
	})
	if err != nil {
		return nil, fmt.Errorf("book held: %w", err)
	}
	return out, nil
}

// bookHeld is the function of BookHeld: it sets out[i] for each reqs[i].
// It refuses with errUnchanged when it has nothing to write.
func (s *Store) bookHeld(tx *bbolt.Tx, reqs []vessel.BookRequest, hold vessel.Hold, nowMillis int64, out []vessel.BookOutcome) error {
	clear(out) // a run again after a rollback starts over
	f, err := s.workingFleet(tx)
	if err != nil {
		return err
	}
	bookings := tx.Bucket(bookingsBucket)
	b := &batch{
		vessels:  tx.Bucket(vesselsBucket),
		bookings: bookings,
		cursor:   bookings.Cursor(),
		holds:    tx.Bucket(holdsBucket),
		hold:     hold,
		until:    hold.Until.UnixMilli(),
		now:      nowMillis,
		// Room for the hold entry, and for each request a key and a record
		// (a UUID and a vessel id of up to 30 bytes) before it grows.
		buf: make(slab, 0, len(hold.Holder)+holdTimeBytes+len(reqs)*80),
	}
	b.entry = b.buf.addHold(hold.Holder, b.until) // every new hold's
	var changed []int                             // indexes in f.vessels of the vessels whose room changed
	for i, req := range reqs {
		key := b.buf.addString(req.ConsignmentID)
		if value := b.get(key); value != nil {
			if out[i], err = b.rebook(key, value, req); err != nil {
				return err
			}
			continue
		}
		j := slices.IndexFunc(f.vessels, func(v vessel.Vessel) bool { return v.Fits(req.Containers, req.Weight) })
		if j < 0 {
			out[i].Err = vessel.ErrNoRoom
			continue
		}
		v := &f.vessels[j]
		if err := b.put(key, v.ID, req); err != nil {
			return err
		}
		v.UsedCapacity += req.Containers
		v.UsedWeight += req.Weight
		if !slices.Contains(changed, j) {
			changed = append(changed, j)
		}
		out[i].Booking = vessel.Booking{
			ConsignmentID: req.ConsignmentID, VesselID: v.ID, Containers: req.Containers, Weight: req.Weight,
			Holder: hold.Holder, HeldUntil: hold.Until,
		}
	}
	for _, j := range changed {
		if err := b.putVessel(f.vessels[j]); err != nil {
			return err
		}
	}
	if len(changed) == 0 && !b.wrote {
		return boltdb.Refuse(errUnchanged)
	}
	return nil
}

// batch is the state of one run of bookHeld.
type batch struct {
	vessels, bookings, holds *bbolt.Bucket
	cursor                   *bbolt.Cursor // of bookings
	hold                     vessel.Hold
	until, now               int64 // hold.Until and now, in milliseconds since the Unix epoch
	buf                      slab
	// The records encoded and decoded, reused.
	booking boltpb.Booking
	vessel  boltpb.Vessel
	entry   []byte // the hold entry of hold
	wrote   bool   // whether a hold was renewed
}

// get returns the booking record under key, or nil. It seeks with one
// cursor for the whole batch: bbolt's Get makes a cursor each.
func (b *batch) get(key []byte) []byte {
	if k, v := b.cursor.Seek(key); bytes.Equal(k, key) {
		return v
	}
	return nil
}

// put writes the new booking of req on the vessel, under key, held by
// b.hold.
func (b *batch) put(key []byte, vesselID string, req vessel.BookRequest) error {
	setBookingRecord(&b.booking, vesselID, req.Containers, req.Weight)
	value, err := b.buf.addRecord(&b.booking)
	if err != nil {
		return fmt.Errorf("encode booking of consignment %q: %w", req.ConsignmentID, err)
	}
	if err := b.bookings.Put(key, value); err != nil {
		return err
	}
	return b.holds.Put(key, b.entry)
}

// putVessel writes v over the stored vessel with its id.
func (b *batch) putVessel(v vessel.Vessel) error {
	setVesselRecord(&b.vessel, v)
	value, err := b.buf.addRecord(&b.vessel)
	if err != nil {
		return fmt.Errorf("encode vessel %q: %w", v.ID, err)
	}
	return b.vessels.Put(b.buf.addString(v.ID), value)
}

// rebook is the outcome of req for the consignment whose booking record,
// stored under key, is value; it renews a hold that has not run out.
func (b *batch) rebook(key, value []byte, req vessel.BookRequest) (vessel.BookOutcome, error) {
	entry := b.holds.Get(key)
	booked, err := decodeBooking(req.ConsignmentID, value, entry, &b.booking)
	if err != nil {
		return vessel.BookOutcome{}, err
	}
	switch {
	case booked.Containers != req.Containers || booked.Weight != req.Weight:
		return vessel.BookOutcome{Booking: booked, Err: vessel.ErrConflict}, nil
	case entry == nil:
		return vessel.BookOutcome{Booking: booked}, nil
	case holdUntil(entry) <= b.now:
		return vessel.BookOutcome{Err: vessel.ErrHoldExpired}, nil
	case booked.Holder != b.hold.Holder:
		return vessel.BookOutcome{Err: vessel.ErrHeldElsewhere}, nil
	case holdUntil(entry) >= b.until:
		return vessel.BookOutcome{Booking: booked}, nil
	}
	if err := b.holds.Put(key, b.entry); err != nil {
		return vessel.BookOutcome{}, err
	}
	b.wrote = true
	booked.HeldUntil = b.hold.Until
	return vessel.BookOutcome{Booking: booked}, nil
}

// slab holds the keys and values of a transaction's puts, which bbolt
// needs until the transaction ends, in one growing buffer instead of an
// allocation each. A part once added never changes: when the buffer
// grows, the parts handed out stay in the old array.
type slab []byte

// addString adds str and returns it.
func (s *slab) addString(str string) []byte {
	start := len(*s)
	*s = append(*s, str...)
	return (*s)[start:len(*s):len(*s)]
}

// addHold adds the hold entry of holder until untilMillis and returns it.
func (s *slab) addHold(holder string, untilMillis int64) []byte {
	start := len(*s)
	*s = appendHold(*s, holder, untilMillis)
	return (*s)[start:len(*s):len(*s)]
}

// addRecord adds the protobuf encoding of m and returns it.
func (s *slab) addRecord(m proto.Message) ([]byte, error) {
	start := len(*s)
	buf, err := proto.MarshalOptions{}.MarshalAppend(*s, m)
	if err != nil {
		return nil, err
	}
	*s = buf
	return buf[start:len(buf):len(buf)], nil
}

// Confirm implements vessel.Repository: it deletes the hold entries, in
// one transaction.
func (s *Store) Confirm(ctx context.Context, consignmentIDs []string) (int, error) {
	var n int
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		holds := tx.Bucket(holdsBucket)
		for _, id := range consignmentIDs {
			key := []byte(id)
			if holds.Get(key) == nil {
				continue
			}
			if err := holds.Delete(key); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			return boltdb.Refuse(errUnchanged)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("confirm bookings: %w", err)
	}
	return n, nil
}

// ListExpiredHolds implements vessel.Repository: it reads the hold
// entries, and the records of the bookings it returns.
func (s *Store) ListExpiredHolds(ctx context.Context, holder string, now time.Time, limit int) ([]vessel.Booking, error) {
	var out []vessel.Booking
	nowMillis := now.UnixMilli()
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		out = nil
		var r boltpb.Booking // one for every record
		bookings := tx.Bucket(bookingsBucket)
		c := tx.Bucket(holdsBucket).Cursor()
		for k, entry := c.First(); k != nil && len(out) < limit; k, entry = c.Next() {
			if err := checkHold(entry); err != nil {
				return fmt.Errorf("consignment %q: %w", k, err)
			}
			if string(entry[holdTimeBytes:]) != holder || holdUntil(entry) > nowMillis {
				continue
			}
			value := bookings.Get(k)
			if value == nil {
				return fmt.Errorf("consignment %q: a hold without a booking", k)
			}
			b, err := decodeBooking(string(k), value, entry, &r)
			if err != nil {
				return err
			}
			out = append(out, b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list expired holds: %w", err)
	}
	return out, nil
}

// ReleaseExpiredHold implements vessel.Repository.
func (s *Store) ReleaseExpiredHold(ctx context.Context, consignmentID string, now time.Time) (bool, error) {
	released := false
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		released = false
		entry := tx.Bucket(holdsBucket).Get([]byte(consignmentID))
		if entry == nil {
			return boltdb.Refuse(errUnchanged)
		}
		if err := checkHold(entry); err != nil {
			return err
		}
		if holdUntil(entry) > now.UnixMilli() {
			return boltdb.Refuse(errUnchanged)
		}
		b, err := getBooking(tx, consignmentID)
		if err != nil {
			return err // a hold without a booking is a broken file, not an answer
		}
		if err := s.release(tx, b); err != nil {
			return err
		}
		released = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("release expired hold of consignment %q: %w", consignmentID, err)
	}
	return released, nil
}
