package boltdb_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
)

var errUnavailable = errors.New("unavailable")

// TestOpenStoreUpgrade opens files of several schema versions with a
// layout of version 3 that upgrades version 2: a new file and a file of
// version 3 open as they are, a file of version 2 is upgraded and marked
// version 3 in one transaction (all of it, or nothing when the upgrade
// fails), and any other version is refused with the file untouched.
func TestOpenStoreUpgrade(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name       string
		version    string // of the file before; "" for no file
		upgradeErr error  // what the upgrade of version 2 returns
		wantErr    string // in OpenStore's error; "" for none
		wantRuns   int    // of the upgrade
		wantAfter  string // version in the file after
		wantValue  string // under "k" in bucket data after
	}{
		{name: "new file", wantAfter: "3"},
		{name: "current version", version: "3", wantAfter: "3", wantValue: "old"},
		{name: "older version upgraded", version: "2", wantRuns: 1, wantAfter: "3", wantValue: "upgraded"},
		{
			name: "failed upgrade", version: "2", upgradeErr: boom, wantRuns: 1,
			wantErr: `upgrade schema version "2" to "3": boom`, wantAfter: "2", wantValue: "old",
		},
		{name: "older version unknown", version: "1", wantErr: `schema version "1", this program reads version "3"`, wantAfter: "1", wantValue: "old"},
		{name: "newer version", version: "4", wantErr: `schema version "4", this program reads version "3"`, wantAfter: "4", wantValue: "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "store.db")
			if tt.version != "" {
				writeFile(t, path, tt.version)
			}
			runs := 0
			layout := boltdb.Layout{
				Name:        "test store",
				Version:     "3",
				Buckets:     [][]byte{[]byte("data"), []byte("added")},
				Unavailable: errUnavailable,
				Upgrades: map[string]func(*bbolt.Tx) error{"2": func(tx *bbolt.Tx) error {
					runs++
					if tx.Bucket([]byte("added")) == nil {
						t.Error("upgrade ran before the layout's buckets were created")
					}
					if err := tx.Bucket([]byte("data")).Put([]byte("k"), []byte("upgraded")); err != nil {
						return err
					}
					return tt.upgradeErr
				}},
			}
			db, err := boltdb.OpenStore(path, layout)
			if err == nil {
				db.Close()
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("OpenStore = %v, want no error", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path)) {
				t.Errorf("OpenStore = %v, want an error naming the path and saying %q", err, tt.wantErr)
			}
			if runs != tt.wantRuns {
				t.Errorf("upgrade ran %d times, want %d", runs, tt.wantRuns)
			}
			version, value := readFile(t, path)
			if version != tt.wantAfter || value != tt.wantValue {
				t.Errorf("file after OpenStore: version %q, value %q; want %q, %q", version, value, tt.wantAfter, tt.wantValue)
			}
			if err != nil {
				return
			}
			// Opened again, the file is of the layout's version: no upgrade runs.
			runs = 0
			db, err = boltdb.OpenStore(path, layout)
			if err != nil {
				t.Fatalf("OpenStore again = %v", err)
			}
			db.Close()
			if runs != 0 {
				t.Errorf("upgrade ran %d times on opening the file again, want 0", runs)
			}
		})
	}
}

// writeFile writes a file of schema version with "old" under "k" in
// bucket data.
func writeFile(t *testing.T, path, version string) {
	t.Helper()
	db, err := boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("schema"), []byte(version)); err != nil {
			return err
		}
		data, err := tx.CreateBucket([]byte("data"))
		if err != nil {
			return err
		}
		return data.Put([]byte("k"), []byte("old"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readFile returns the schema version of the file at path and the value
// under "k" in bucket data ("" when there is none).
func readFile(t *testing.T, path string) (version, value string) {
	t.Helper()
	db, err := boltdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		version = string(tx.Bucket([]byte("meta")).Get([]byte("schema")))
		if data := tx.Bucket([]byte("data")); data != nil {
			value = string(data.Get([]byte("k")))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return version, value
}
