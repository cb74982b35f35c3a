package bolt_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
)

// TestUpgradeV2Fails checks that a file of version 2 with a record the
// upgrade cannot read is not opened, and is left as it was, every record
// in JSON, those the upgrade rewrote before it met the bad one included:
// the upgrade is one transaction.
func TestUpgradeV2Fails(t *testing.T) {
	t.Parallel()
	goodVessel := `{"name":"n","owner_id":"","capacity":10,"max_weight":10,"available":true,"used_capacity":1,"used_weight":1}`
	goodBooking := `{"vessel_id":"v0000","containers":1,"weight":1}`
	tests := []struct {
		name   string
		bucket string
		bad    string
		want   string
	}{
		{"vessel not JSON", "vessels", `{"name":`, `decode vessel "v1000" of version 2`},
		{"vessel of the wrong type", "vessels", `{"capacity":"ten"}`, `decode vessel "v1000" of version 2`},
		{"booking not JSON", "bookings", `[`, `decode booking of consignment "c1000" of version 2`},
		{"booking on no vessel", "bookings", `{"containers":1,"weight":1}`, `booking of consignment "c1000" of version 2: booking on no vessel`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "vessel.db")
			records := map[string]map[string]string{"vessels": {}, "bookings": {}, "holds": {}}
			for i := range 1500 { // more good ones than a walk rewrites, before the bad one
				records["vessels"][fmt.Sprintf("v%04d", i)] = goodVessel
				records["bookings"][fmt.Sprintf("c%04d", i)] = goodBooking
			}
			records["holds"]["c0001"] = "\x00\x00\x00\x00\x00\x00\x00\x01h"
			records[tt.bucket][map[string]string{"vessels": "v1000", "bookings": "c1000"}[tt.bucket]] = tt.bad
			boltdbtest.WriteFile(t, path, "2", records)

			s, err := bolt.Open(path)
			if err == nil {
				s.Close()
				t.Fatal("Open of a file of version 2 with a bad record succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open error = %q, want it to name the path and contain %q", err, tt.want)
			}
			assertSchema(t, path, "2")
			assertRecords(t, path, records)
		})
	}
}

// assertRecords checks that the file at path holds records, and nothing
// else, in their buckets.
func assertRecords(t *testing.T, path string, records map[string]map[string]string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for name, want := range records {
			got := map[string]string{}
			err := tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error {
				got[string(k)] = string(v)
				return nil
			})
			if err != nil {
				return err
			}
			if !maps.Equal(got, want) {
				changed := 0
				for k, v := range want {
					if got[k] != v {
						changed++
					}
				}
				t.Errorf("bucket %s: %d records, %d of the %d before changed or gone; want them as before", name, len(got), changed, len(want))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
