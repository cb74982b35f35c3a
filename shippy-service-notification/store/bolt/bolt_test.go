package bolt_test

import (
	"testing"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) notification.Repository {
		return boltdbtest.MustOpen(t, bolt.Open, boltdbtest.Path(t, "notification.db"))
	})
}

// TestReopen checks that recipients and handled events are in the file
// when it is opened again: a restarted service sends no mail twice.
func TestReopen(t *testing.T) {
	t.Parallel()
	boltdbtest.Reopen(t, bolt.Open, func(s *bolt.Store) {
		if err := s.SaveRecipient(t.Context(), storetest.NewRecipient("u-1")); err != nil {
			t.Fatalf("SaveRecipient: %v", err)
		}
		if err := s.RecordSent(t.Context(), storetest.NewSent("e-1")); err != nil {
			t.Fatalf("RecordSent: %v", err)
		}
	}, func(s *bolt.Store) {
		if r, err := s.Recipient(t.Context(), "u-1"); r != storetest.NewRecipient("u-1") || err != nil {
			t.Errorf("Recipient(u-1) after reopening = %+v, %v", r, err)
		}
		if handled, err := s.Handled(t.Context(), "e-1"); !handled || err != nil {
			t.Errorf("Handled(e-1) after reopening = %v, %v; want true", handled, err)
		}
	})
}

// TestOpenAndClose runs the checks every store on boltdb passes: a
// locked file, a missing directory, a file of another kind or schema
// version, and a closed store.
func TestOpenAndClose(t *testing.T) {
	t.Parallel()
	boltdbtest.RunStoreTests(t, bolt.Open, "1", "2", func(t *testing.T, s *bolt.Store) {
		storetest.AssertUnavailable(t, s, "on a closed store", 0)
	})
}
