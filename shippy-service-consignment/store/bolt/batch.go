package bolt

import (
	"context"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
)

// batch runs fn in a read-write transaction shared with concurrent calls
// (a group commit), and returns once it is committed and synced, or has
// failed: see boltdb.Batcher.Batch for the contract, including that fn may
// run more than once and that an error made by refuse commits the others'
// changes.
// After Close its error matches consignment.ErrUnavailable.
func (s *Store) batch(ctx context.Context, fn func(*bbolt.Tx) error) error {
	return unavailableIfClosed(s.batcher.Batch(ctx, fn))
}

// refuse makes err, a domain answer such as consignment.ErrConflict, the result of a
// function given to Store.batch without failing the transaction the
// function shares with others. Only a function that has written nothing in
// the transaction may return it (wrapped or not); errors.Is sees err
// through it.
func refuse(err error) error {
	return boltdb.Refuse(err)
}
