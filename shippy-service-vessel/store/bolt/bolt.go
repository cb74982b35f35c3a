// Package bolt is a vessel.Repository kept in one bbolt file: the vessel
// service's embedded, durable store. Every change runs in a bbolt
// read-write transaction, and bbolt syncs the file to disk before a commit
// returns, so a change the store has acknowledged survives a crash or a
// power loss. Concurrent changes share transactions (a group commit, see
// boltdb.Batcher): changes that arrive while a commit is under way all go
// into the next one, so that one pair of fsyncs commits them all, and a
// lone change commits at once.
//
// The store keeps the fleet decoded in memory, as of the last commit, so
// that List and Get, the reads of every FindAvailable and Book, decode no
// JSON. A read uses that copy only when its own read transaction sees the
// very commit the copy is of (bbolt's transaction ids), so it reads what
// the file holds, never an older fleet; the file is locked to this
// process, and every change to it goes through the store. Each read-write
// transaction that changes vessels works on a copy of the fleet, which it
// publishes when it commits: made for a fleet of hundreds of vessels, not
// millions, as List returns the whole fleet anyway.
//
// One process at a time holds the file: bbolt locks it, and Open gives up
// after OpenTimeout with an error that names the path.
//
// # File layout, schema version 1
//
// Three top-level buckets. Keys are ids as their UTF-8 bytes, so bbolt's key
// order is the byte order of ids that List promises. Values are this
// package's own records in JSON, never the domain types, so the domain can
// change without changing the file.
//
//	meta      "schema"        -> "1" (the layout version, decimal ASCII)
//	vessels   vessel id       -> vesselRecord
//	bookings  consignment id  -> bookingRecord
//
// A change of layout bumps the schema version; Open refuses a file with a
// version it does not know, rather than misread it.
//
// JSON holds strings as UTF-8: an id or name that is not valid UTF-8 would
// come back changed. The Service validates every string before it stores
// it, so none reaches the store.
package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// OpenTimeout is how long Open waits for the lock on a file another process
// (or another Store in this process) holds.
const OpenTimeout = boltdb.OpenTimeout

// schemaVersion is the version of the file layout this package reads and
// writes, as stored under meta/"schema".
const schemaVersion = "1"

// Bucket and key names of the file layout (see the package documentation).
var (
	metaBucket     = []byte("meta")
	schemaKey      = []byte("schema")
	vesselsBucket  = []byte("vessels")
	bookingsBucket = []byte("bookings")
)

var _ vessel.Repository = (*Store)(nil)

// Store is a vessel.Repository in a bbolt file, safe for concurrent use:
// bbolt runs one read-write transaction at a time next to any number of
// read-only ones. Callers never share memory with the store: reads return
// copies.
//
// Methods return ctx's error, and touch nothing, when ctx is done before
// they start; a transaction that has begun runs to its end. After Close,
// every method returns an error that matches vessel.ErrUnavailable.
type Store struct {
	db *bbolt.DB
	// committed is the fleet as of a committed transaction, the latest one
	// published (see readFleet).
	committed atomic.Pointer[fleet]
	// working is the fleet of the read-write transaction running, or of
	// the last one (see workingFleet).
	working workingFleet
	// batcher runs the read-write transactions of batch.
	batcher *boltdb.Batcher
}

// Open opens the store in the file at path, creating the file (mode 0600)
// and its buckets when they do not exist. The directory must exist. Open
// fails, after OpenTimeout, when another Store holds the file, and fails
// when the file is not a store of this schema version. Every error names
// the path.
func Open(path string) (*Store, error) {
	db, err := boltdb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open vessel store %s: %w", path, err)
	}
	if err := db.Update(initialize); err != nil {
		return nil, errors.Join(fmt.Errorf("open vessel store %s: %w", path, err), db.Close())
	}
	return &Store{db: db, batcher: boltdb.NewBatcher(db)}, nil
}

// initialize creates the buckets of a new file and checks the schema
// version of an existing one.
func initialize(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	switch v := meta.Get(schemaKey); {
	case v == nil:
		if err := meta.Put(schemaKey, []byte(schemaVersion)); err != nil {
			return err
		}
	case string(v) != schemaVersion:
		return fmt.Errorf("schema version %q, this program reads version %q", v, schemaVersion)
	}
	for _, name := range [][]byte{vesselsBucket, bookingsBucket} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// Close waits for running transactions to end and closes the file. Closing
// a closed Store does nothing.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close vessel store %s: %w", s.db.Path(), err)
	}
	return nil
}

// Create implements vessel.Repository.
func (s *Store) Create(ctx context.Context, v vessel.Vessel) error {
	value, err := json.Marshal(toVesselRecord(v))
	if err != nil {
		return fmt.Errorf("create vessel %q: encode: %w", v.ID, err)
	}
	err = s.batch(ctx, func(tx *bbolt.Tx) error {
		f, err := s.workingFleet(tx)
		if err != nil {
			return err
		}
		i, found := f.find(v.ID)
		if found {
			return refuse(vessel.ErrConflict)
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
	err := s.view(ctx, func(tx *bbolt.Tx) error {
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
	err := s.view(ctx, func(tx *bbolt.Tx) error {
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
	booking, err := json.Marshal(toBookingRecord(b))
	if err != nil {
		return vessel.Vessel{}, fmt.Errorf("take room for consignment %q: encode: %w", b.ConsignmentID, err)
	}
	var v vessel.Vessel
	err = s.batch(ctx, func(tx *bbolt.Tx) error {
		v = vessel.Vessel{}
		bookings := tx.Bucket(bookingsBucket)
		if bookings.Get([]byte(b.ConsignmentID)) != nil {
			return refuse(vessel.ErrAlreadyBooked)
		}
		f, err := s.workingFleet(tx)
		if err != nil {
			return err
		}
		i, found := f.find(b.VesselID)
		if !found {
			return fmt.Errorf("vessel %q: %w", b.VesselID, refuse(vessel.ErrNotFound))
		}
		after := f.vessels[i]
		if !after.Fits(b.Containers, b.Weight) {
			return fmt.Errorf("vessel %q: %w", b.VesselID, refuse(vessel.ErrNoRoom))
		}
		after.UsedCapacity += b.Containers
		after.UsedWeight += b.Weight
		if err := putVessel(tx, after); err != nil {
			return err
		}
		if err := bookings.Put([]byte(b.ConsignmentID), booking); err != nil {
			return err
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
	err := s.view(ctx, func(tx *bbolt.Tx) error {
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
	err := s.batch(ctx, func(tx *bbolt.Tx) error {
		var err error
		b, err = getBooking(tx, consignmentID)
		if errors.Is(err, vessel.ErrNotFound) {
			return refuse(err)
		}
		if err != nil {
			return err
		}
		f, err := s.workingFleet(tx)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bookingsBucket).Delete([]byte(consignmentID)); err != nil {
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
	})
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("release booking of consignment %q: %w", consignmentID, err)
	}
	return b, nil
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return unavailableIfClosed(s.db.View(fn))
}

// unavailableIfClosed makes the error of a transaction on a closed database
// match vessel.ErrUnavailable. Every other bbolt error is internal, and
// errors from the transaction's function pass unchanged.
func unavailableIfClosed(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %w", vessel.ErrUnavailable, err)
	}
	return err
}

// putVessel writes v over the stored vessel with its id.
func putVessel(tx *bbolt.Tx, v vessel.Vessel) error {
	value, err := json.Marshal(toVesselRecord(v))
	if err != nil {
		return fmt.Errorf("encode vessel %q: %w", v.ID, err)
	}
	return tx.Bucket(vesselsBucket).Put([]byte(v.ID), value)
}

// getBooking reads the booking of the consignment, or returns ErrNotFound.
func getBooking(tx *bbolt.Tx, consignmentID string) (vessel.Booking, error) {
	value := tx.Bucket(bookingsBucket).Get([]byte(consignmentID))
	if value == nil {
		return vessel.Booking{}, vessel.ErrNotFound
	}
	var r bookingRecord
	if err := json.Unmarshal(value, &r); err != nil {
		return vessel.Booking{}, fmt.Errorf("decode booking of consignment %q: %w", consignmentID, err)
	}
	return r.toBooking(consignmentID), nil
}

// decodeVessel decodes the record of the vessel with the id.
func decodeVessel(id string, value []byte) (vessel.Vessel, error) {
	var r vesselRecord
	if err := json.Unmarshal(value, &r); err != nil {
		return vessel.Vessel{}, fmt.Errorf("decode vessel %q: %w", id, err)
	}
	return r.toVessel(id), nil
}
