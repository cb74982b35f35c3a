package boltdb_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
)

var errUnavailable = errors.New("unavailable")

// TestOpenStoreUpgrades opens files of each version with a layout at
// version 3 that upgrades from 1 (moving a key) and from 2 (new buckets
// only): a file of an older version is upgraded in the transaction that
// opens it, one that cannot be upgraded is refused and left as it was.
func TestOpenStoreUpgrades(t *testing.T) {
	t.Parallel()
	errBroken := errors.New("broken upgrade")
	moveKey := func(tx *bbolt.Tx) error {
		old := tx.Bucket([]byte("old"))
		if old == nil {
			return errors.New("no bucket old")
		}
		b, err := tx.CreateBucketIfNotExists([]byte("moved"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("k"), old.Get([]byte("k"))); err != nil {
			return err
		}
		return tx.DeleteBucket([]byte("old"))
	}
	layout := func(first func(*bbolt.Tx) error) boltdb.Layout {
		return boltdb.Layout{
			Name: "test store", Version: "3", Unavailable: errUnavailable,
			Buckets:  [][]byte{[]byte("moved"), []byte("added")},
			Upgrades: []boltdb.Upgrade{{From: "1", Apply: first}, {From: "2"}},
		}
	}
	tests := []struct {
		name        string
		version     string // of the file; "" for no file
		apply       func(*bbolt.Tx) error
		wantErr     string // "" when it opens
		wantVersion string // in the file after Open
		wantMoved   bool   // moved/k holds the value of old/k
	}{
		{name: "new file", wantVersion: "3"},
		{name: "current", version: "3", apply: moveKey, wantVersion: "3"},
		{name: "from 1", version: "1", apply: moveKey, wantVersion: "3", wantMoved: true},
		{name: "from 2", version: "2", apply: moveKey, wantVersion: "3"},
		{name: "failing upgrade", version: "1", apply: func(*bbolt.Tx) error { return errBroken }, wantErr: `upgrade from schema version "1": broken upgrade`, wantVersion: "1"},
		{name: "unknown version", version: "0", apply: moveKey, wantErr: `schema version "0", this program reads version "3"`, wantVersion: "0"},
		{name: "newer version", version: "4", apply: moveKey, wantErr: `schema version "4", this program reads version "3"`, wantVersion: "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "store.db")
			if tt.version != "" {
				boltdbtest.WriteFile(t, path, tt.version, map[string]map[string]string{"old": {"k": "v"}})
			}
			db, err := boltdb.OpenStore(path, layout(tt.apply))
			if tt.wantErr != "" {
				if err == nil {
					db.Close()
					t.Fatal("OpenStore succeeded, want an error")
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Errorf("OpenStore error %q, want it to name the path and contain %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("OpenStore: %v", err)
				}
				if err := db.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
			checkFile(t, path, tt.wantVersion, tt.wantErr == "", tt.version != "" && !tt.wantMoved, tt.wantMoved)
		})
	}
}

// checkFile checks the version in the file, whether the layout's buckets
// and the bucket old exist, and whether the upgrade from 1 moved old/k.
func checkFile(t *testing.T, path, version string, buckets, old, moved bool) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		if got := string(tx.Bucket([]byte("meta")).Get([]byte("schema"))); got != version {
			t.Errorf("schema version %q, want %q", got, version)
		}
		if got := tx.Bucket([]byte("added")) != nil; got != buckets {
			t.Errorf("bucket added exists: %t, want %t", got, buckets)
		}
		gotMoved := false
		if b := tx.Bucket([]byte("moved")); b != nil {
			gotMoved = string(b.Get([]byte("k"))) == "v"
		}
		if gotMoved != moved {
			t.Errorf("moved/k = v: %t, want %t", gotMoved, moved)
		}
		if got := tx.Bucket([]byte("old")) != nil; got != old {
			t.Errorf("bucket old exists: %t, want %t", got, old)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
