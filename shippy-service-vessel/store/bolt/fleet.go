package bolt

import (
	"slices"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// fleet is the vessels bucket decoded (see docs/embedded-store.md), as the transaction with ID txid
// leaves it, in id order. Once published (Store.committed) it never
// changes: readers copy from it. A vessel.Vessel holds no pointers, so a
// copy of the slice is a copy of the fleet.
type fleet struct {
	txid    int
	vessels []vessel.Vessel
}

// find returns the index of the vessel with the id in f.vessels, and
// whether it is there; if not, the index is where it would go.
func (f *fleet) find(id string) (int, bool) {
	return slices.BinarySearchFunc(f.vessels, id, func(v vessel.Vessel, id string) int {
		return strings.Compare(v.ID, id)
	})
}

// workingFleet is the fleet a read-write transaction changes.
type workingFleet struct {
	tx    *bbolt.Tx
	fleet *fleet
}

// readFleet returns the fleet as the read-only transaction tx sees it, to
// be copied from and not changed: the committed copy when it is of that
// very transaction state, else the vessels bucket decoded, which then
// becomes the committed copy when it is newer.
func (s *Store) readFleet(tx *bbolt.Tx) (*fleet, error) {
	if f := s.committed.Load(); f != nil && f.txid == tx.ID() {
		return f, nil
	}
	f, err := decodeFleet(tx, tx.ID())
	if err != nil {
		return nil, err
	}
	s.publish(f)
	return f, nil
}

// workingFleet returns the fleet as the read-write transaction tx leaves
// it so far, for the functions of tx to change in place along with the
// vessels bucket; every change to the bucket goes through it. The first
// call in tx makes it, from a copy of the committed fleet when that is the
// state tx started from, and has it published when tx commits; a
// transaction rolled back takes its working fleet with it.
//
// Only the functions of read-write transactions call it, and bbolt runs
// one such transaction at a time, one function at a time: s.working needs
// no lock of its own.
func (s *Store) workingFleet(tx *bbolt.Tx) (*fleet, error) {
	if s.working.tx == tx {
		return s.working.fleet, nil
	}
	var f *fleet
	// A read-write transaction's ID is the ID of the commit it starts from,
	// plus one.
	if c := s.committed.Load(); c != nil && c.txid == tx.ID()-1 {
		f = &fleet{txid: tx.ID(), vessels: slices.Clone(c.vessels)}
	} else {
		var err error
		if f, err = decodeFleet(tx, tx.ID()); err != nil {
			return nil, err
		}
	}
	s.working = workingFleet{tx: tx, fleet: f}
	tx.OnCommit(func() { s.publish(f) })
	return f, nil
}

// publish makes f the committed fleet unless that is of a later
// transaction already.
func (s *Store) publish(f *fleet) {
	for {
		c := s.committed.Load()
		if c != nil && c.txid >= f.txid {
			return
		}
		if s.committed.CompareAndSwap(c, f) {
			return
		}
	}
}

// decodeFleet decodes every vessel tx sees, as the fleet of transaction
// txid.
func decodeFleet(tx *bbolt.Tx, txid int) (*fleet, error) {
	f := &fleet{txid: txid, vessels: []vessel.Vessel{}}
	var r boltpb.Vessel // one for every record
	err := tx.Bucket(vesselsBucket).ForEach(func(k, value []byte) error {
		v, err := decodeVesselRecord(string(k), value, &r)
		if err != nil {
			return err
		}
		f.vessels = append(f.vessels, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
