package mongotest_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/shippy-suite/shippy/testenv/mongotest"
)

func TestNewDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	first, second := mongotest.NewDatabase(t), mongotest.NewDatabase(t)
	if first.Name() == second.Name() {
		t.Fatalf("two databases of one test share the name %q", first.Name())
	}
	if _, err := first.Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	n, err := second.Collection("c").CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatalf("CountDocuments: %v", err)
	}
	if n != 0 {
		t.Errorf("a new database holds %d documents of another one, want 0", n)
	}
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^test_[A-Za-z0-9_]{1,58}$`)
	for _, name := range []string{"short", "with spaces/and.dots$", strings.Repeat("long", 50)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := mongotest.DatabaseName(t)
			if !valid.MatchString(got) || len(got) > 63 {
				t.Errorf("DatabaseName() = %q (%d bytes), want letters, digits and _ only, at most 63 bytes", got, len(got))
			}
		})
	}
}

func TestIsFerretDB(t *testing.T) {
	t.Parallel()
	if !mongotest.IsFerretDB(t, mongotest.StartFerretDB(t).URI()) {
		t.Error("IsFerretDB(a FerretDB server) = false, want true")
	}
}

// TestStopRestart checks that a stopped server refuses calls and that a
// restarted one answers at the same address with the data it had.
func TestStopRestart(t *testing.T) {
	t.Parallel()
	srv := mongotest.StartFerretDB(t)
	client, err := mongo.Connect(t.Context(), options.Client().ApplyURI(srv.URI()).SetServerSelectionTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	coll := client.Database("stoprestart").Collection("c")
	if _, err := coll.InsertOne(t.Context(), bson.D{{Key: "_id", Value: "kept"}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}

	srv.Stop(t)
	if err := client.Ping(t.Context(), nil); err == nil {
		t.Fatal("Ping of a stopped server succeeded")
	}

	srv.Restart(t)
	n, err := coll.CountDocuments(t.Context(), bson.D{{Key: "_id", Value: "kept"}})
	if err != nil {
		t.Fatalf("CountDocuments after restart: %v", err)
	}
	if n != 1 {
		t.Errorf("documents after restart = %d, want the 1 written before", n)
	}
}
