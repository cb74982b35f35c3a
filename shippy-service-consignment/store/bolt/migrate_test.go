package bolt_test

import (
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
)

// TestUpgradeV2 opens testdata/consignments-v2.db.gz, a file of schema
// version 2 (JSON records) written by the release before protobuf records,
// and checks that every consignment, pending or booked, comes back with
// every field, in the same creation order and pages, a page token of
// before the upgrade included; that the file is then of version 4 (through
// 3); and that it opens again, and takes new consignments, as any file of
// version 4.
func TestUpgradeV2(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := gunzip(t, "testdata/consignments-v2.db.gz")
	s := mustOpen(t, path)

	want := v2Stored()
	for _, c := range v2Written() {
		got, err := s.Get(ctx, c.ID)
		if w, ok := want[c.ID]; !ok {
			if !errors.Is(err, consignment.ErrNotFound) {
				t.Errorf("Get(%q) = %+v, %v; want ErrNotFound (deleted before the upgrade)", c.ID, got, err)
			}
		} else if diff := cmp.Diff(w, got); err != nil || diff != "" {
			t.Errorf("Get(%q) = %v (-want +got):\n%s", c.ID, err, diff)
		}
	}

	booked := []string{"b-booked", "d-booked-bare", "e-booked-after-pending", "g-booked", "h-booked-zero-time"}
	var wantBooked []consignment.Consignment
	for _, id := range booked {
		wantBooked = append(wantBooked, want[id])
	}
	got, next, err := s.List(ctx, "", 0, "")
	if diff := cmp.Diff(wantBooked, got); err != nil || next != "" || diff != "" {
		t.Errorf("List(0, \"\") = next %q, %v (-want +got):\n%s", next, err, diff)
	}
	// Pages of 2, from the first page and from the token the version 2
	// store gave for its first page of 2.
	const v2Token = "Ym9sdDE6NA"
	pages := []struct {
		token string
		want  []string
	}{
		{"", booked[0:2]},
		{v2Token, booked[2:4]},
	}
	for _, p := range pages {
		got, next, err := s.List(ctx, "", 2, p.token)
		if err != nil || next == "" || !slices.Equal(ids(got), p.want) {
			t.Fatalf("List(2, %q) = %v, next %q, %v; want %v and a next page", p.token, ids(got), next, err, p.want)
		}
		if p.token == "" && next != v2Token {
			t.Errorf("List(2, \"\") next = %q, want %q as before the upgrade", next, v2Token)
		}
		last, after, err := s.List(ctx, "", 2, next)
		if p.token == v2Token && (err != nil || after != "" || !slices.Equal(ids(last), booked[4:])) {
			t.Errorf("last page of 2 = %v, next %q, %v; want %v", ids(last), after, err, booked[4:])
		}
	}

	pending, err := s.ListPending(ctx, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 10)
	wantPending := []consignment.Consignment{want["a-pending"], want["f-pending-transferred"]}
	if diff := cmp.Diff(wantPending, pending); err != nil || diff != "" {
		t.Errorf("ListPending = %v (-want +got):\n%s", err, diff)
	}

	added := consignment.Consignment{ID: "i-added", VesselID: "vessel001", Status: consignment.StatusBooked, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.Create(ctx, added); err != nil {
		t.Fatalf("Create after the upgrade: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v := schemaVersion(t, path); v != "5" {
		t.Errorf("schema version after the upgrade = %q, want \"5\"", v)
	}
	s = mustOpen(t, path)
	got, _, err = s.List(ctx, "", 0, v2Token)
	if diff := cmp.Diff(append(wantBooked[2:], added), got); err != nil || diff != "" {
		t.Errorf("List(0, token of before) after opening again = %v (-want +got):\n%s", err, diff)
	}
}

// TestUpgradeV2Fails checks that a file of version 2 with a record the
// upgrade cannot read is not opened, and is left as it was, every record
// in JSON, the records the upgrade rewrote before it met the bad one
// included: the upgrade is one transaction.
func TestUpgradeV2Fails(t *testing.T) {
	t.Parallel()
	good := `{"seq":1,"status":"booked","created_at":"2025-01-02T03:04:05Z","description":"d","weight":1,"containers":[],"vessel_id":"v"}`
	tests := []struct {
		name, bad, want string
	}{
		{"not JSON", `{"seq":2,`, `decode consignment "b" of version 2`},
		{"unknown status", `{"seq":2,"status":"lost"}`, `consignment "b" of version 2: unknown status "lost"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "consignments.db")
			records := map[string]string{"b": tt.bad} // after more good ones than a walk rewrites
			for i := range 1001 {
				records[fmt.Sprintf("a%04d", i)] = good
			}
			writeV2(t, path, func(put func(id string, seq uint64, value string) error) error {
				for id, value := range records {
					if err := put(id, 0, value); err != nil {
						return err
					}
				}
				return nil
			})

			s, err := bolt.Open(path)
			if err == nil {
				s.Close()
				t.Fatal("Open of a file of version 2 with a bad record succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %q, want it to contain %q", err, tt.want)
			}
			if v := schemaVersion(t, path); v != "2" {
				t.Errorf("schema version after the failed upgrade = %q, want \"2\"", v)
			}
			db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.View(func(tx *bbolt.Tx) error {
				for id, value := range records {
					if got := string(tx.Bucket([]byte("consignments")).Get([]byte(id))); got != value {
						t.Errorf("record %q after the failed upgrade = %q, want %q as before", id, got, value)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestUpgradeV2Many upgrades a file of version 2 with more records than
// the upgrade rewrites per walk of the bucket, and checks that each comes
// back, once, in creation order.
func TestUpgradeV2Many(t *testing.T) {
	t.Parallel()
	const n = 2500
	path := filepath.Join(t.TempDir(), "consignments.db")
	writeV2(t, path, func(put func(id string, seq uint64, value string) error) error {
		for i := range n {
			// Ids in an order other than creation order.
			id, seq := fmt.Sprintf("%04d", (i*7919)%n), uint64(i+1)
			value := fmt.Sprintf(`{"seq":%d,"status":"booked","created_at":"2025-01-02T03:04:05Z","description":"c%d","weight":%d,"containers":[],"vessel_id":"v"}`, seq, i, i)
			if err := put(id, seq, value); err != nil {
				return err
			}
		}
		return nil
	})
	s := mustOpen(t, path)
	got, _, err := s.List(t.Context(), "", 0, "")
	if err != nil || len(got) != n {
		t.Fatalf("List = %d consignments, %v; want %d", len(got), err, n)
	}
	for i, c := range got {
		if id := fmt.Sprintf("%04d", (i*7919)%n); c.ID != id || c.Description != fmt.Sprint("c", i) || c.Weight != int32(i) {
			t.Fatalf("consignment %d listed = %q, %q, weight %d; want %q, \"c%d\", weight %d", i, c.ID, c.Description, c.Weight, id, i, i)
		}
	}
}

// v2Stored are the consignments testdata/consignments-v2.db holds, by id,
// as the store returns them: times in UTC.
func v2Stored() map[string]consignment.Consignment {
	out := map[string]consignment.Consignment{}
	for _, c := range v2Written() {
		c.CreatedAt = c.CreatedAt.UTC()
		c.Lease.Until = c.Lease.Until.UTC()
		switch c.ID {
		case "c-deleted":
			continue
		case "e-booked-after-pending":
			c.Status, c.VesselID, c.Lease = consignment.StatusBooked, "vessel002", consignment.Lease{}
		case "f-pending-transferred":
			c.Lease = consignment.Lease{Owner: "instance-2", Until: time.Date(2025, 3, 4, 5, 6, 7, 800, time.UTC)}
		case "h-booked-zero-time":
			c.CreatedAt = time.Time{}
		}
		out[c.ID] = c
	}
	return out
}

// v2Written are the consignments created, in this order, in
// testdata/consignments-v2.db; then c-deleted was deleted, e was marked
// booked on vessel002 and f's lease was transferred to instance-2 (see
// v2Stored).
func v2Written() []consignment.Consignment {
	paris := time.FixedZone("UTC+1", 3600)
	created := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	pending := func(id string) consignment.Consignment {
		return consignment.Consignment{
			ID:          id,
			Description: "pending " + id,
			Weight:      800,
			Containers:  []consignment.Container{{ID: id + "-1", CustomerID: "cust009", Origin: "Hull", UserID: "user009"}},
			Status:      consignment.StatusPending,
			CreatedAt:   created.Add(time.Minute),
			Lease:       consignment.Lease{Owner: "instance-1", Until: created.Add(time.Minute + 30*time.Second)},
		}
	}
	return []consignment.Consignment{
		{
			ID:          "b-booked",
			Description: "Ölfässer — 3 × 20ft, \"fragile\" <&>",
			Weight:      55000,
			Containers: []consignment.Container{
				{ID: "b-1", CustomerID: "cust001", Origin: "Manchester, United Kingdom", UserID: "user001"},
				{ID: "b-2", CustomerID: "cust002", Origin: "Derby, United Kingdom"},
				{ID: "b-3", CustomerID: "cust003", Origin: "東京", UserID: "user003"},
			},
			VesselID:  "vessel001",
			Status:    consignment.StatusBooked,
			CreatedAt: created.In(paris),
		},
		pending("a-pending"),
		pending("c-deleted"),
		{ID: "d-booked-bare", VesselID: "vessel001", Status: consignment.StatusBooked, CreatedAt: created.Add(2 * time.Minute)},
		pending("e-booked-after-pending"),
		pending("f-pending-transferred"),
		{
			ID:          "g-booked",
			Description: "one box",
			Weight:      1,
			Containers:  []consignment.Container{{ID: "g-1"}},
			VesselID:    "vessel003",
			Status:      consignment.StatusBooked,
			CreatedAt:   created.Add(-time.Hour),
		},
		{ID: "h-booked-zero-time", Description: "created at the zero time", Weight: -7, VesselID: "v", Status: consignment.StatusBooked},
	}
}

// gunzip writes the file name decompresses to into a temporary directory
// and returns its path.
func gunzip(t *testing.T, name string) string {
	t.Helper()
	in, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(name), ".gz"))
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(errors.Join(err, out.Close()))
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// schemaVersion returns the schema version the closed file at path holds.
func schemaVersion(t *testing.T, path string) string {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	err = db.View(func(tx *bbolt.Tx) error {
		v = string(tx.Bucket([]byte("meta")).Get([]byte("schema")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ids(cs []consignment.Consignment) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// writeV2 writes a file of schema version 2 at path, with the records fill
// stores by calling put: value under id in the consignments bucket, and an
// order entry for seq unless seq is 0.
func writeV2(t *testing.T, path string, fill func(put func(id string, seq uint64, value string) error) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		buckets := map[string]*bbolt.Bucket{}
		for _, name := range []string{"meta", "consignments", "order", "pending"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			buckets[name] = b
		}
		if err := buckets["meta"].Put([]byte("schema"), []byte("2")); err != nil {
			return err
		}
		return fill(func(id string, seq uint64, value string) error {
			if seq != 0 {
				if err := buckets["order"].Put(binary.BigEndian.AppendUint64(nil, seq), []byte(id)); err != nil {
					return err
				}
			}
			return buckets["consignments"].Put([]byte(id), []byte(value))
		})
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeV2WithoutBuckets opens a file of version 2 that has its meta
// bucket only: the upgrade has nothing to rewrite, and the store opens
// empty, with its buckets.
func TestUpgradeV2WithoutBuckets(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "consignments.db")
	boltdbtest.WriteFile(t, path, "2", nil)
	s := mustOpen(t, path)
	if got, _, err := s.List(t.Context(), "", 0, ""); err != nil || len(got) != 0 {
		t.Errorf("List = %d consignments, %v; want none", len(got), err)
	}
}

// TestUpgradeV3 opens testdata/consignments-v3.db.gz, a file of schema
// version 3 written by the store of that version (two booked consignments,
// a pending one, one deleted, another booked, and a holder id), and checks
// that every consignment comes back as it was, without an owner, in the
// same pages, a page token of before the upgrade included, with the same
// holder id; that the file is then of version 4; and that consignments
// created after the upgrade are listed by owner, also after opening the
// file again.
func TestUpgradeV3(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := gunzip(t, "testdata/consignments-v3.db.gz")
	s := mustOpen(t, path)

	want := v3Stored()
	for id, w := range want {
		got, err := s.Get(ctx, id)
		if diff := cmp.Diff(w, got); err != nil || diff != "" {
			t.Errorf("Get(%q) = %v (-want +got):\n%s", id, err, diff)
		}
	}
	if got, err := s.Get(ctx, "d-deleted"); !errors.Is(err, consignment.ErrNotFound) {
		t.Errorf("Get(d-deleted) = %+v, %v; want ErrNotFound (deleted before the upgrade)", got, err)
	}
	wantBooked := []consignment.Consignment{want["a-booked"], want["c-booked"], want["e-booked"]}
	got, next, err := s.List(ctx, "", 0, "")
	if diff := cmp.Diff(wantBooked, got); err != nil || next != "" || diff != "" {
		t.Errorf("List(\"\", 0, \"\") = next %q, %v (-want +got):\n%s", next, err, diff)
	}
	// The token the version 3 store gave for its first page of 1.
	const v3Token = "Ym9sdDE6MQ"
	if _, next, err := s.List(ctx, "", 1, ""); err != nil || next != v3Token {
		t.Errorf("List(\"\", 1, \"\") next = %q, %v; want %q as before the upgrade", next, err, v3Token)
	}
	got, next, err = s.List(ctx, "", 1, v3Token)
	if err != nil || next == "" || !slices.Equal(ids(got), []string{"c-booked"}) {
		t.Errorf("List(\"\", 1, token of before) = %v, next %q, %v; want [c-booked] and a next page", ids(got), next, err)
	}
	pending, err := s.ListPending(ctx, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 10)
	if diff := cmp.Diff([]consignment.Consignment{want["b-pending"]}, pending); err != nil || diff != "" {
		t.Errorf("ListPending = %v (-want +got):\n%s", err, diff)
	}
	if h, err := s.Holder(ctx); err != nil || h != "2ZAHLCHXEFA5Y3QUZG7EEBUB5C" {
		t.Errorf("Holder = %q, %v; want the holder id of before the upgrade", h, err)
	}
	if got, _, err := s.List(ctx, "user-a", 0, ""); err != nil || len(got) != 0 {
		t.Errorf("List(user-a) = %v, %v; want none: nothing of version 3 has an owner", ids(got), err)
	}

	owned := []consignment.Consignment{
		{ID: "f-owned", Weight: 1, VesselID: "vessel001", Status: consignment.StatusBooked, CreatedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Owner: "user-a"},
		{ID: "g-unowned", Weight: 1, VesselID: "vessel001", Status: consignment.StatusBooked, CreatedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "h-owned", Weight: 1, VesselID: "vessel002", Status: consignment.StatusBooked, CreatedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Owner: "user-a"},
	}
	for _, c := range owned {
		if err := s.Create(ctx, c); err != nil {
			t.Fatalf("Create(%q) after the upgrade: %v", c.ID, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v := schemaVersion(t, path); v != "5" {
		t.Errorf("schema version after the upgrade = %q, want \"5\"", v)
	}
	s = mustOpen(t, path)
	got, _, err = s.List(ctx, "user-a", 0, "")
	if diff := cmp.Diff([]consignment.Consignment{owned[0], owned[2]}, got); err != nil || diff != "" {
		t.Errorf("List(user-a) after opening again = %v (-want +got):\n%s", err, diff)
	}
	got, _, err = s.List(ctx, "", 0, v3Token)
	if diff := cmp.Diff(append(wantBooked[1:], owned...), got); err != nil || diff != "" {
		t.Errorf("List(\"\", 0, token of before) after opening again = %v (-want +got):\n%s", err, diff)
	}
}

// v3Stored are the consignments testdata/consignments-v3.db holds, by id,
// as the store returns them. The file was written by the store of version
// 3 with Create, in the order a, b, c, d, e, then DeletePending(d-deleted),
// Holder and List(1, "").
func v3Stored() map[string]consignment.Consignment {
	created := time.Date(2026, 3, 4, 5, 6, 7, 890e6, time.UTC)
	return map[string]consignment.Consignment{
		"a-booked": {
			ID: "a-booked", Description: "two boxes", Weight: 2000,
			Containers: []consignment.Container{
				{ID: "a-1", CustomerID: "cust001", Origin: "Hull", UserID: "user001"},
				{ID: "a-2", CustomerID: "cust002", Origin: "Leeds"},
			},
			VesselID: "vessel001", Status: consignment.StatusBooked, CreatedAt: created,
		},
		"b-pending": {
			ID: "b-pending", Description: "pending", Weight: 10,
			Containers: []consignment.Container{{CustomerID: "c", Origin: "o"}},
			Status:     consignment.StatusPending, CreatedAt: created.Add(time.Second),
			Lease: consignment.Lease{Owner: "instance-1", Until: created.Add(31 * time.Second)},
		},
		"c-booked": {
			ID: "c-booked", Description: "one box", Weight: 1,
			Containers: []consignment.Container{{ID: "c-1", CustomerID: "cust003", Origin: "York"}},
			VesselID:   "vessel002", Status: consignment.StatusBooked, CreatedAt: created.Add(2 * time.Second),
		},
		"e-booked": {
			ID: "e-booked", Description: "last", Weight: 700,
			Containers: []consignment.Container{{ID: "e-1", CustomerID: "cust001", Origin: "Derby"}},
			VesselID:   "vessel001", Status: consignment.StatusBooked, CreatedAt: created.Add(4 * time.Second),
		},
	}
}

// TestUpgradeV3WithoutBuckets opens a file of version 3 that has its meta
// bucket only: the store opens empty, with its buckets, the owners bucket
// included, and takes and lists a consignment with an owner.
func TestUpgradeV3WithoutBuckets(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "consignments.db")
	boltdbtest.WriteFile(t, path, "3", nil)
	s := mustOpen(t, path)
	c := consignment.Consignment{ID: "a", VesselID: "v", Status: consignment.StatusBooked, Owner: "user-a"}
	if err := s.Create(t.Context(), c); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got, _, err := s.List(t.Context(), "user-a", 0, ""); err != nil || !slices.Equal(ids(got), []string{"a"}) {
		t.Errorf("List(user-a) = %v, %v; want [a]", ids(got), err)
	}
}

// TestUpgradeV4 opens testdata/consignments-v4.db.gz, a file of schema
// version 4 written by the store of that version (a booked consignment of
// user-1, a cancelled one of user-2, and a holder id), and checks that
// they come back as they were, with an empty outbox; that the file is then
// of version 5; and that an event stored with a consignment after the
// upgrade is pending, also after opening the file again.
func TestUpgradeV4(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := gunzip(t, "testdata/consignments-v4.db.gz")
	s := mustOpen(t, path)

	created := time.Date(2026, 5, 6, 7, 8, 9, 120e6, time.UTC)
	want := []consignment.Consignment{
		{
			ID: "a-booked", Description: "two boxes", Weight: 2000, Owner: "user-1",
			Containers: []consignment.Container{{ID: "a-1", CustomerID: "cust001", Origin: "Hull"}},
			VesselID:   "vessel001", Status: consignment.StatusBooked, CreatedAt: created,
		},
		{
			ID: "b-cancelled", Description: "cancelled", Weight: 10, Owner: "user-2",
			Containers: []consignment.Container{{ID: "b-1", CustomerID: "c", Origin: "o"}},
			VesselID:   "vessel002", Status: consignment.StatusCancelled, CreatedAt: created.Add(time.Second),
		},
	}
	for _, w := range want {
		got, err := s.Get(ctx, w.ID)
		if diff := cmp.Diff(w, got); err != nil || diff != "" {
			t.Errorf("Get(%q) = %v (-want +got):\n%s", w.ID, err, diff)
		}
	}
	if got, _, err := s.List(ctx, "user-1", 0, ""); err != nil || !slices.Equal(ids(got), []string{"a-booked"}) {
		t.Errorf("List(user-1) = %v, %v; want [a-booked]", ids(got), err)
	}
	if got, err := s.Pending(ctx, 10); err != nil || len(got) != 0 {
		t.Errorf("Pending after the upgrade = %v, %v; want none", got, err)
	}
	added := consignment.Consignment{ID: "c-added", VesselID: "vessel001", Status: consignment.StatusBooked, Owner: "user-1", CreatedAt: created.Add(time.Hour)}
	event := outbox.Message{ID: "event-1", Subject: "shippy.consignment.booked", Data: []byte("x"), CreatedAt: added.CreatedAt}
	if err := s.Create(ctx, added, event); err != nil {
		t.Fatalf("Create after the upgrade: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v := schemaVersion(t, path); v != "5" {
		t.Errorf("schema version after the upgrade = %q, want \"5\"", v)
	}
	s = mustOpen(t, path)
	got, err := s.Pending(ctx, 10)
	if diff := cmp.Diff([]outbox.Message{event}, got); err != nil || diff != "" {
		t.Errorf("Pending after opening again = %v (-want +got):\n%s", err, diff)
	}
}
