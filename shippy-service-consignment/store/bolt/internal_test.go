package bolt

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// TestListTokensNotIssued checks tokens of the right form that this store
// could not have issued: for a consignment that does not exist, or for the
// last one (no page follows it).
func TestListTokensNotIssued(t *testing.T) {
	t.Parallel()
	s := openFilled(t, 3, rand.New(rand.NewPCG(1, 2)))
	tests := []struct {
		name  string
		token string
	}{
		{"sequence 0", base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + "0"))},
		{"leading zero", base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + "01"))},
		{"negative", base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + "-1"))},
		{"last consignment", encodeToken(3)},
		{"after the last", encodeToken(4)},
		{"far after the last", encodeToken(1 << 63)},
		{"other prefix", base64.RawURLEncoding.EncodeToString([]byte("mem1:1"))},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(tokenPrefix + "1"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, next, err := s.List(t.Context(), 1, tt.token)
			var fe *consignment.FieldError
			if !errors.As(err, &fe) || fe.Field != "page_token" {
				t.Errorf("List(1, %q) = %d items, %q, %v; want a *FieldError on page_token", tt.token, len(items), next, err)
			}
		})
	}
	// The token of a consignment that has a successor is good.
	if _, _, err := s.List(t.Context(), 1, encodeToken(2)); err != nil {
		t.Errorf("List(1, token of the second of three) = %v, want nil", err)
	}
}

// BenchmarkCreate measures one Create, a synced commit, with 1,000 and with
// 100,000 consignments stored. Ids are random, like the service's UUIDs, so
// each Create writes into the middle of the consignments bucket. Time per
// Create is mostly the two fsyncs of a commit and varies with the disk;
// written-B/op, the bytes of the pages each commit writes besides the meta
// page, does not, and shows the write cost grows with the depth of the
// B+tree only.
func BenchmarkCreate(b *testing.B) {
	for _, stored := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(stored)))
			s := openFilled(b, stored, rng)
			ctx := b.Context()
			written := pageAlloc(s)
			for b.Loop() {
				if err := s.Create(ctx, benchConsignment(randomID(rng))); err != nil {
					b.Fatal(err)
				}
			}
			written = pageAlloc(s) - written
			b.ReportMetric(float64(written)/float64(b.N), "written-B/op")
		})
	}
}

// BenchmarkList measures one page of 100 consignments from the middle of
// the creation order, with 1,000 and with 100,000 consignments stored.
func BenchmarkList(b *testing.B) {
	const page = 100
	for _, stored := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			s := openFilled(b, stored, rand.New(rand.NewPCG(1, uint64(stored))))
			ctx := b.Context()
			token := encodeToken(uint64(stored / 2))
			for b.Loop() {
				items, next, err := s.List(ctx, page, token)
				if err != nil || len(items) != page || next == "" {
					b.Fatalf("List(%d, middle) = %d items, %q, %v", page, len(items), next, err)
				}
			}
		})
	}
}

// openFilled opens a store in a new file holding n consignments with random
// ids, as n Creates would leave it. It writes them in one transaction, and
// each bucket in its key order: bbolt splits a transaction's nodes only at
// commit, so n puts in random order into one transaction take O(n²).
func openFilled(tb testing.TB, n int, rng *rand.Rand) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "consignments.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	ids := make([]string, n) // in creation order
	for i := range ids {
		ids[i] = randomID(rng)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		order := tx.Bucket(orderBucket)
		seqs := make(map[string]uint64, n)
		for _, id := range ids {
			seq, err := order.NextSequence()
			if err != nil {
				return err
			}
			if err := order.Put(seqKey(seq), []byte(id)); err != nil {
				return err
			}
			seqs[id] = seq
		}
		for _, id := range slices.Sorted(slices.Values(ids)) {
			r, err := toRecord(benchConsignment(id), seqs[id])
			if err != nil {
				return err
			}
			if err := put(tx, []byte(id), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("fill the store with %d consignments: %v", n, err)
	}
	return s
}

// pageAlloc returns the bytes of pages s has allocated, for writing, in the
// transactions that have ended.
func pageAlloc(s *Store) int64 {
	stats := s.db.Stats()
	return stats.TxStats.GetPageAlloc()
}

// randomID returns 32 hex digits, the size of a UUID without dashes.
func randomID(rng *rand.Rand) string {
	return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
}

func benchConsignment(id string) consignment.Consignment {
	return consignment.Consignment{
		ID:          id,
		Description: "Benchmark consignment",
		Weight:      55000,
		Containers: []consignment.Container{
			{ID: id + "-1", CustomerID: "cust001", Origin: "Manchester, United Kingdom", UserID: "user001"},
			{ID: id + "-2", CustomerID: "cust002", Origin: "Derby, United Kingdom", UserID: "user002"},
			{ID: id + "-3", CustomerID: "cust003", Origin: "Leeds, United Kingdom", UserID: "user003"},
		},
		VesselID:  "vessel001",
		Status:    consignment.StatusBooked,
		CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC),
	}
}
