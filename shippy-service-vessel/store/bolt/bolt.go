// Package bolt is a vessel.Repository kept in one bbolt file: the vessel
// service's embedded, durable store. A change the store has acknowledged
// is on disk (see package boltdb for the group commit); one process at a
// time holds the file. Values are this package's own records in protobuf
// (record.go), and the store keeps the fleet decoded in memory, as of the
// last commit (fleet.go). The file layout, schema version 3, is:
//
//	meta      "schema"        -> "3"
//	vessels   vessel id       -> boltpb.Vessel
//	bookings  consignment id  -> boltpb.Booking
//	holds     consignment id  -> the hold of a held booking (holds.go)
//
// Version 2 had JSON records, and version 1 no holds bucket either; Open
// upgrades such a file (migrate.go), the bookings of version 1 confirmed.
// See docs/embedded-store.md for why, and how versions change.
package bolt

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Bucket names of the file layout (see the package documentation).
var (
	vesselsBucket  = []byte("vessels")
	bookingsBucket = []byte("bookings")
	holdsBucket    = []byte("holds")
)

var _ vessel.Repository = (*Store)(nil)

// Store is a vessel.Repository in a bbolt file, safe for concurrent use.
// Callers never share memory with the store: reads return copies.
//
// Methods return ctx's error, and touch nothing, when ctx is done before
// they start; a transaction that has begun runs to its end. After Close,
// every method returns an error that matches vessel.ErrUnavailable.
//
// The functions its methods give to DB.Update may run more than once, so
// they leave the fleet in memory to transaction-scoped state (see
// Store.workingFleet).
type Store struct {
	db *boltdb.DB
	// committed is the fleet as of a committed transaction, the latest one
	// published (see readFleet).
	committed atomic.Pointer[fleet]
	// working is the fleet of the read-write transaction running, or of
	// the last one (see workingFleet).
	working workingFleet
}

// Open opens the store in the file at path, creating the file (mode 0600)
// and its buckets when they do not exist, and upgrading a file of version
// 1 or 2 in the transaction that opens it. The directory must exist. Open
// fails, after boltdb.OpenTimeout, when another Store holds the file, and
// fails, leaving the file as it was, when the file is not a store of this
// schema version or of version 1 or 2, or holds a record the upgrade
// cannot read. Every error names the path.
func Open(path string) (*Store, error) {
	layout := boltdb.Layout{
		Name:    "vessel store",
		Version: "3", // of the file layout in the package documentation
		Buckets: [][]byte{vesselsBucket, bookingsBucket, holdsBucket},
		Upgrades: []boltdb.Upgrade{
			{From: "1"},                   // adds the holds bucket
			{From: "2", Apply: upgradeV2}, // protobuf records
		},
		Unavailable: vessel.ErrUnavailable,
	}
	db, err := boltdb.OpenStore(path, layout)
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close waits for running transactions to end and closes the file. Closing
// a closed Store does nothing.
func (s *Store) Close() error {
	return s.db.Close()
}

// Create implements vessel.Repository.
func (s *Store) Create(ctx context.Context, v vessel.Vessel) error {
	value, err := encodeVessel(v)
	if err != nil {
		return fmt.Errorf("create vessel: %w", err)
	}
	err = s.db.Update(ctx, func(tx *bbolt.Tx) error {
		f, err := s.workingFleet(tx)
		if err != nil {
			return err
		}
		i, found := f.find(v.ID)
		if found {
			return boltdb.Refuse(vessel.ErrConflict)
		}
		if err := tx.Bucket(vesselsBucket).Put([]byte(v.ID), value); err != nil {
			return err
		}
		f.vessels = slices.Insert(f.vessels, i, v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("create vessel %q: %w", v.ID, err)
	}
	return nil
}

// Get implements vessel.Repository.
func (s *Store) Get(ctx context.Context, id string) (vessel.Vessel, error) {
	var v vessel.Vessel
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		f, err := s.readFleet(tx)
		if err != nil {
			return err
		}
		i, found := f.find(id)
		if !found {
			return vessel.ErrNotFound
		}
		v = f.vessels[i]
		return nil
	})
	if err != nil {
		return vessel.Vessel{}, fmt.Errorf("get vessel %q: %w", id, err)
	}
	return v, nil
}

// List implements vessel.Repository.
func (s *Store) List(ctx context.Context) ([]vessel.Vessel, error) {
	var vessels []vessel.Vessel
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		f, err := s.readFleet(tx)
		if err != nil {
			return err
		}
		vessels = append(make([]vessel.Vessel, 0, len(f.vessels)), f.vessels...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list vessels: %w", err)
	}
	return vessels, nil
}

// TakeRoom implements vessel.Repository.
func (s *Store) TakeRoom(ctx context.Context, b vessel.Booking) (vessel.Vessel, error) {
	booking, err := encodeBooking(b)
	if err != nil {
		return vessel.Vessel{}, fmt.Errorf("take room: %w", err)
	}
	var v vessel.Vessel
	err = s.db.Update(ctx, func(tx *bbolt.Tx) error {
		v = vessel.Vessel{}
		bookings := tx.Bucket(bookingsBucket)
		if bookings.Get([]byte(b.ConsignmentID)) != nil {
			return boltdb.Refuse(vessel.ErrAlreadyBooked)
		}
		f, err := s.workingFleet(tx)
		if err != nil {
			return err
		}
		i, found := f.find(b.VesselID)
		if !found {
			return fmt.Errorf("vessel %q: %w", b.VesselID, boltdb.Refuse(vessel.ErrNotFound))
		}
		after := f.vessels[i]
		if !after.Fits(b.Containers, b.Weight) {
			return fmt.Errorf("vessel %q: %w", b.VesselID, boltdb.Refuse(vessel.ErrNoRoom))
		}
		after.UsedCapacity += b.Containers
		after.UsedWeight += b.Weight
		if err := putVessel(tx, after); err != nil {
			return err
		}
		if err := bookings.Put([]byte(b.ConsignmentID), booking); err != nil {
			return err
		}
		if b.Held() {
			hold := appendHold(nil, b.Holder, b.HeldUntil.UnixMilli())
			if err := tx.Bucket(holdsBucket).Put([]byte(b.ConsignmentID), hold); err != nil {
				return err
			}
		}
		f.vessels[i], v = after, after
		return nil
	})
	if err != nil {
		return vessel.Vessel{}, fmt.Errorf("take room for consignment %q: %w", b.ConsignmentID, err)
	}
	return v, nil
}

// FindBooking implements vessel.Repository.
func (s *Store) FindBooking(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	var b vessel.Booking
	err := s.db.View(ctx, func(tx *bbolt.Tx) error {
		var err error
		b, err = getBooking(tx, consignmentID)
		return err
	})
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("find booking of consignment %q: %w", consignmentID, err)
	}
	return b, nil
}

// ReleaseRoom implements vessel.Repository. Vessels are never deleted; were
// the booking's vessel missing all the same, the booking is deleted and no
// room is given back, as in the memory store.
func (s *Store) ReleaseRoom(ctx context.Context, consignmentID string) (vessel.Booking, error) {
	var b vessel.Booking
	err := s.db.Update(ctx, func(tx *bbolt.Tx) error {
		var err error
		b, err = getBooking(tx, consignmentID)
		if errors.Is(err, vessel.ErrNotFound) {
			return boltdb.Refuse(err)
		}
		if err != nil {
			return err
		}
		return s.release(tx, b)
	})
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, err)
	}
	return b, nil
}

// release deletes the stored booking b, and its hold, and gives its room
// back to its vessel.
func (s *Store) release(tx *bbolt.Tx, b vessel.Booking) error {
	f, err := s.workingFleet(tx)
	if err != nil {
		return err
	}
	key := []byte(b.ConsignmentID)
	if err := tx.Bucket(bookingsBucket).Delete(key); err != nil {
		return err
	}
	if err := tx.Bucket(holdsBucket).Delete(key); err != nil {
		return err
	}
	i, found := f.find(b.VesselID)
	if !found {
		return nil
	}
	after := f.vessels[i]
	after.UsedCapacity -= b.Containers
	after.UsedWeight -= b.Weight
	if err := putVessel(tx, after); err != nil {
		return err
	}
	f.vessels[i] = after
	return nil
}

// putVessel writes v over the stored vessel with its id.
func putVessel(tx *bbolt.Tx, v vessel.Vessel) error {
	value, err := encodeVessel(v)
	if err != nil {
		return err
	}
	return tx.Bucket(vesselsBucket).Put([]byte(v.ID), value)
}

// getBooking reads the booking of the consignment, its hold included, or
// returns ErrNotFound.
func getBooking(tx *bbolt.Tx, consignmentID string) (vessel.Booking, error) {
	key := []byte(consignmentID)
	value := tx.Bucket(bookingsBucket).Get(key)
	if value == nil {
		return vessel.Booking{}, vessel.ErrNotFound
	}
	return decodeBooking(consignmentID, value, tx.Bucket(holdsBucket).Get(key), new(boltpb.Booking))
}

// decodeBooking decodes the booking record of the consignment, through r,
// and its hold entry, nil for a confirmed booking.
func decodeBooking(consignmentID string, value, hold []byte, r *boltpb.Booking) (vessel.Booking, error) {
	b, err := decodeBookingRecord(consignmentID, value, r)
	if err != nil {
		return vessel.Booking{}, err
	}
	if hold != nil {
		if b.Holder, b.HeldUntil, err = decodeHold(hold); err != nil {
			return vessel.Booking{}, fmt.Errorf("decode hold of consignment %q: %w", consignmentID, err)
		}
	}
	return b, nil
}
