package mongo_test

import (
	"testing"

	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/testenv/mongotest"

	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
	mongostore "github.com/shippy-suite/shippy/shippy-service-notification/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) notification.Repository {
		return storetesting.MustOpen(t, mongostore.New, mongotest.NewDatabase(t))
	}, storetesting.MongoOptions(t))
}

// TestServerDownAtStart checks that a store made while the server is down
// fails each call with ErrUnavailable, within the client's timeout.
func TestServerDownAtStart(t *testing.T) {
	t.Parallel()
	db, _ := storetesting.StoppedFerretDB(t, storetesting.OutageCallTimeout)
	storetest.AssertUnavailable(t, storetesting.MustOpen(t, mongostore.New, db), "with the server down", 3*storetesting.OutageCallTimeout)
}
