package mongo_test

import (
	"testing"

	"github.com/shippy-suite/shippy/platform/store/storetesting"
	"github.com/shippy-suite/shippy/testenv/mongotest"

	mongostore "github.com/shippy-suite/shippy/shippy-service-user/store/mongo"
	"github.com/shippy-suite/shippy/shippy-service-user/store/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Repository {
		return storetesting.MustOpen(t, mongostore.New, mongotest.NewDatabase(t))
	}, storetesting.MongoOptions(t))
}

// TestIndexes checks that the first call creates the indexes the queries
// and the uniqueness of emails need, and outbox_id (the outbox's).
func TestIndexes(t *testing.T) {
	t.Parallel()
	db := mongotest.NewDatabase(t)
	store := storetesting.MustOpen(t, mongostore.New, db)
	if _, _, err := store.List(t.Context(), 0, ""); err != nil {
		t.Fatalf("List: %v", err)
	}
	specs, err := db.Collection(mongostore.UsersCollection).Indexes().ListSpecifications(t.Context())
	if err != nil {
		t.Fatalf("list indexes: %v", err)
	}
	unique := make(map[string]bool)
	for _, s := range specs {
		unique[s.Name] = s.Unique != nil && *s.Unique
	}
	if _, ok := unique["outbox_id"]; !ok {
		t.Errorf("no index outbox_id (indexes: %v)", unique)
	}
	for _, name := range []string{"email_key_unique", "seq_unique"} {
		if !unique[name] {
			t.Errorf("index %s: present and unique %v, want true (indexes: %v)", name, unique[name], unique)
		}
	}
}

// TestServerDownAtStart checks that a store made while the server is down
// fails each call with ErrUnavailable, within the client's timeout.
func TestServerDownAtStart(t *testing.T) {
	t.Parallel()
	db, _ := storetesting.StoppedFerretDB(t, storetesting.OutageCallTimeout)
	storetest.AssertUnavailable(t, storetesting.MustOpen(t, mongostore.New, db), "with the server down", 3*storetesting.OutageCallTimeout)
}
