package bolt

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
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
		{"last consignment", encodeToken(tokenPrefix, 3)},
		{"after the last", encodeToken(tokenPrefix, 4)},
		{"far after the last", encodeToken(tokenPrefix, 1<<63)},
		{"of an owner's listing", encodeToken(ownerTokenPrefix, 1)},
		{"other prefix", base64.RawURLEncoding.EncodeToString([]byte("mem1:1"))},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(tokenPrefix + "1"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, next, err := s.List(t.Context(), "", 1, tt.token)
			var fe *consignment.FieldError
			if !errors.As(err, &fe) || fe.Field != "page_token" {
				t.Errorf("List(1, %q) = %d items, %q, %v; want a *FieldError on page_token", tt.token, len(items), next, err)
			}
		})
	}
	// The token of a consignment that has a successor is good.
	if _, _, err := s.List(t.Context(), "", 1, encodeToken(tokenPrefix, 2)); err != nil {
		t.Errorf("List(1, token of the second of three) = %v, want nil", err)
	}
}

// TestListOwnerKeys lists the consignments of owners whose ids begin
// alike, "a" and "a\x00b" (whose keys begin with "a"'s prefix), with tokens
// this store issued and tokens of the right form it could not have issued
// for the owner: of another owner's consignment, of the owner's last one, of
// a consignment without an owner, and of the listing of every consignment.
func TestListOwnerKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "consignments.db"))
	owners := []string{"a", "a\x00b", "", "a", "a\x00b", "a"} // of sequence numbers 1 to 6
	for i, owner := range owners {
		c := benchConsignment(fmt.Sprint("c", i+1))
		c.Owner = owner
		if err := s.Create(ctx, c); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	for owner, want := range map[string][]string{"a": {"c1", "c4", "c6"}, "a\x00b": {"c2", "c5"}, "b": nil} {
		items, next, err := s.List(ctx, owner, 0, "")
		if err != nil || next != "" || !slices.Equal(ids(items), append([]string{}, want...)) {
			t.Errorf("List(%q, 0) = %v, %q, %v; want %v", owner, ids(items), next, err, want)
		}
		var walked []string
		for token := ""; ; {
			items, next, err := s.List(ctx, owner, 1, token)
			if err != nil {
				t.Fatalf("List(%q, 1, %q) = %v", owner, token, err)
			}
			walked = append(walked, ids(items)...)
			if next == "" {
				break
			}
			token = next
		}
		if !slices.Equal(walked, want) {
			t.Errorf("List(%q) in pages of 1 = %v, want %v", owner, walked, want)
		}
	}
	tests := []struct {
		name  string
		token string
	}{
		{"another owner's consignment", encodeToken(ownerTokenPrefix, 2)},
		{"a consignment without an owner", encodeToken(ownerTokenPrefix, 3)},
		{"the owner's last consignment", encodeToken(ownerTokenPrefix, 6)},
		{"after the last", encodeToken(ownerTokenPrefix, 7)},
		{"of the listing of every consignment", encodeToken(tokenPrefix, 1)},
	}
	for _, tt := range tests {
		items, next, err := s.List(ctx, "a", 1, tt.token)
		var fe *consignment.FieldError
		if !errors.As(err, &fe) || fe.Field != "page_token" {
			t.Errorf("List(a, 1, token of %s) = %v, %q, %v; want a *FieldError on page_token", tt.name, ids(items), next, err)
		}
	}
	if items, _, err := s.List(ctx, "a", 1, encodeToken(ownerTokenPrefix, 4)); err != nil || !slices.Equal(ids(items), []string{"c6"}) {
		t.Errorf("List(a, 1, token of c4) = %v, %v; want [c6]", ids(items), err)
	}
}

// FuzzListOwner lists by any owner with any page token, over a store of
// owners whose ids begin alike: a call never panics, and either refuses the
// token with a *FieldError on page_token or returns only the owner's
// booked consignments, in creation order, and a token that its own listing
// takes.
func FuzzListOwner(f *testing.F) {
	s := boltdbtest.MustOpen(f, Open, boltdbtest.Path(f, "consignments.db"))
	owners := []string{"a", "a\x00b", "", "a", "a\x00", "a\x00b", "a"}
	for i, owner := range owners {
		c := benchConsignment(fmt.Sprint("c", i+1))
		c.Owner = owner
		if i == 3 {
			c.Status, c.VesselID = consignment.StatusPending, ""
		}
		if err := s.Create(f.Context(), c); err != nil {
			f.Fatal(err)
		}
	}
	f.Add("a", uint8(1), "")
	f.Add("a", uint8(1), encodeToken(ownerTokenPrefix, 1))
	f.Add("a\x00b", uint8(1), encodeToken(ownerTokenPrefix, 2))
	f.Add("a\x00", uint8(2), encodeToken(tokenPrefix, 5))
	f.Add("", uint8(0), encodeToken(ownerTokenPrefix, 1))
	f.Fuzz(func(t *testing.T, owner string, limit uint8, token string) {
		items, next, err := s.List(t.Context(), owner, int(limit), token)
		if err != nil {
			var fe *consignment.FieldError
			if !errors.As(err, &fe) || fe.Field != "page_token" {
				t.Fatalf("List(%q, %d, %q) = %v, want nil or a *FieldError on page_token", owner, limit, token, err)
			}
			return
		}
		if limit > 0 && len(items) > int(limit) {
			t.Errorf("List(%q, %d, %q) = %d items", owner, limit, token, len(items))
		}
		var last uint64
		for _, c := range items {
			seq := slices.Index(owners, c.Owner)
			if (owner != "" && c.Owner != owner) || c.Status != consignment.StatusBooked || seq < 0 {
				t.Errorf("List(%q, %d, %q) listed %s of owner %q, %s", owner, limit, token, c.ID, c.Owner, c.Status)
			}
			var n uint64
			if _, err := fmt.Sscanf(c.ID, "c%d", &n); err != nil || n <= last {
				t.Errorf("List(%q, %d, %q) listed %s after c%d: not in creation order", owner, limit, token, c.ID, last)
			}
			last = n
		}
		if next != "" {
			if _, _, err := s.List(t.Context(), owner, int(limit), next); err != nil {
				t.Errorf("List(%q, %d, its own next token %q) = %v", owner, limit, next, err)
			}
		}
	})
}

// TestDeletePendingOwner checks that deleting a pending consignment with an
// owner deletes its entry in the owners bucket.
func TestDeletePendingOwner(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "consignments.db"))
	c := benchConsignment("p")
	c.Status, c.VesselID, c.Owner = consignment.StatusPending, "", "user-a"
	if err := s.Create(ctx, c); err != nil {
		t.Fatalf("Create: %v", err)
	}
	entries := func() int {
		n := 0
		err := s.db.Bolt().View(func(tx *bbolt.Tx) error {
			n = tx.Bucket(ownersBucket).Stats().KeyN
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := entries(); n != 1 {
		t.Fatalf("owners entries after Create = %d, want 1", n)
	}
	if err := s.DeletePending(ctx, "p"); err != nil {
		t.Fatalf("DeletePending: %v", err)
	}
	if n := entries(); n != 0 {
		t.Errorf("owners entries after DeletePending = %d, want 0", n)
	}
}

// TestCancelKeepsEntries checks that a cancelled consignment keeps its
// order and owners entries (List skips it), and that a repeated cancel
// commits no transaction.
func TestCancelKeepsEntries(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "consignments.db"))
	c := benchConsignment("a")
	c.Owner = "user-a"
	if err := s.Create(ctx, c); err != nil {
		t.Fatalf("Create: %v", err)
	}
	// entries returns the number of entries of the order and owners
	// buckets, and the id of the last committed transaction.
	entries := func() (order, owners int, txid int) {
		err := s.db.Bolt().View(func(tx *bbolt.Tx) error {
			order, owners, txid = tx.Bucket(orderBucket).Stats().KeyN, tx.Bucket(ownersBucket).Stats().KeyN, tx.ID()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return order, owners, txid
	}
	if _, err := s.Cancel(ctx, "a", "user-a"); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	order, owners, txid := entries()
	if order != 1 || owners != 1 {
		t.Errorf("after Cancel: %d order and %d owners entries, want 1 each", order, owners)
	}
	if got, err := s.Cancel(ctx, "a", "user-a"); err != nil || got.Status != consignment.StatusCancelled {
		t.Fatalf("Cancel again = %+v, %v; want it cancelled", got, err)
	}
	if _, _, again := entries(); again != txid {
		t.Errorf("a repeated Cancel committed: last transaction %d, was %d", again, txid)
	}
}

// TestBatchFailureRerun makes a function fail in a batch it shares with
// concurrent Creates, after it has taken a sequence number and written an
// order entry: the batcher rolls the transaction back and runs the Creates
// again in a new one. Each consignment must have exactly one order entry, the
// one its record names, and nothing of the failed function may remain.
func TestBatchFailureRerun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "consignments.db"))

	const creates = 50
	created := 0 // the most consignments the failing function saw created
	boltdbtest.FailAmong(t, s.db, creates, func(i int) error {
		return s.Create(ctx, benchConsignment(fmt.Sprint("c", i)))
	}, func(tx *bbolt.Tx) error {
		order := tx.Bucket(orderBucket)
		n, cur := 0, order.Cursor()
		for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
			n++
		}
		created = max(created, n)
		seq, err := order.NextSequence()
		if err != nil {
			return err
		}
		return order.Put(seqKey(seq), []byte("failed"))
	})
	if created == 0 {
		t.Error("the failing function ran before every Create; the test tested nothing")
	}

	items, _, err := s.List(ctx, "", 0, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(items) != creates {
		t.Errorf("List: %d consignments, want %d", len(items), creates)
	}
	err = s.db.Bolt().View(func(tx *bbolt.Tx) error {
		entries := map[string]uint64{} // id -> sequence number
		err := tx.Bucket(orderBucket).ForEach(func(k, id []byte) error {
			seq := binary.BigEndian.Uint64(k)
			if prev, dup := entries[string(id)]; dup {
				t.Errorf("consignment %q has order entries %d and %d", id, prev, seq)
			}
			entries[string(id)] = seq
			r, err := load(tx, id)
			if err != nil {
				return err
			}
			if r.Seq != seq {
				t.Errorf("order entry %d names consignment %q, whose record has sequence number %d", seq, id, r.Seq)
			}
			return nil
		})
		if len(entries) != creates {
			t.Errorf("%d consignments in the order bucket, want %d", len(entries), creates)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCreate measures one Create, a synced commit, with 1,000 and with
// 100,000 consignments stored, by one caller (the latency of a lone Create)
// and by 32 at once (time per op is then the inverse of the throughput).
// Ids are random, like the service's UUIDs, so each Create writes into the
// middle of the consignments bucket. Time per Create is mostly the two
// fsyncs of a commit and varies with the disk; written-B/op, the bytes of
// the pages each commit writes besides the meta page, divided by the
// Creates, does not, and shows the write cost grows with the depth of the
// B+tree only, and is shared by the Creates committed together.
func BenchmarkCreate(b *testing.B) {
	for _, stored := range []int{1_000, 100_000} {
		for _, callers := range benchCallers {
			b.Run(fmt.Sprintf("stored=%d/callers=%d", stored, callers), func(b *testing.B) {
				s := openFilled(b, stored, rand.New(rand.NewPCG(1, uint64(stored))))
				ctx := b.Context()
				written := pageAlloc(s)
				boltdbtest.RunCallers(b, callers, func(n uint64) error {
					return s.Create(ctx, benchConsignment(randomID(rand.New(rand.NewPCG(2, n)))))
				})
				written = pageAlloc(s) - written
				b.ReportMetric(float64(written)/float64(b.N), "written-B/op")
			})
		}
	}
}

// BenchmarkList measures one page of 100 consignments at a random place in
// the creation order, with 1,000, 100,000 and 1,000,000 consignments stored
// (the last skipped with -short: filling the file takes a while), and
// reports the 99th percentile of a page's time as p99-ns.
func BenchmarkList(b *testing.B) {
	const page = 100
	for _, stored := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			if stored > 100_000 && testing.Short() {
				b.Skip("skipped with -short")
			}
			s := openFilled(b, stored, rand.New(rand.NewPCG(1, uint64(stored))))
			ctx := b.Context()
			rng := rand.New(rand.NewPCG(3, 4))
			tokens := make([]string, 1024) // of consignments that a full page follows
			for i := range tokens {
				tokens[i] = encodeToken(tokenPrefix, 1+uint64(rng.IntN(stored-page-1)))
			}
			var times []time.Duration
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				items, next, err := s.List(ctx, "", page, tokens[i%len(tokens)])
				times = append(times, time.Since(start))
				if err != nil || len(items) != page || next == "" {
					b.Fatalf("List(%d, %q) = %d items, %q, %v", page, tokens[i%len(tokens)], len(items), next, err)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100]), "p99-ns")
		})
	}
}

// BenchmarkListOwner measures one page of 100 of an owner's consignments at
// a random place in its creation order, with 1,000, 100,000 and 1,000,000
// consignments stored (the last skipped with -short), one in every four of
// them the owner's and the others of 1,000 other owners, and reports the
// 99th percentile of a page's time as p99-ns.
func BenchmarkListOwner(b *testing.B) {
	const (
		page  = 100
		share = 4 // one in share consignments is the owner's
		owner = "owner-bench"
	)
	for _, stored := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			if stored > 100_000 && testing.Short() {
				b.Skip("skipped with -short")
			}
			s := openFilledOwned(b, stored, rand.New(rand.NewPCG(1, uint64(stored))), func(i int) string {
				if i%share == 0 {
					return owner
				}
				return fmt.Sprint("owner-", i%1000)
			})
			ctx := b.Context()
			rng := rand.New(rand.NewPCG(3, 4))
			tokens := make([]string, 1024) // of the owner's consignments that a full page follows
			for i := range tokens {
				tokens[i] = encodeToken(ownerTokenPrefix, 1+share*uint64(rng.IntN(stored/share-page-1)))
			}
			var times []time.Duration
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				items, next, err := s.List(ctx, owner, page, tokens[i%len(tokens)])
				times = append(times, time.Since(start))
				if err != nil || len(items) != page || next == "" {
					b.Fatalf("List(%q, %d, %q) = %d items, %q, %v", owner, page, tokens[i%len(tokens)], len(items), next, err)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100]), "p99-ns")
		})
	}
}

// openFilled opens a store in a new file holding n consignments with random
// ids and no owner, as n Creates would leave it (Store.Load).
func openFilled(tb testing.TB, n int, rng *rand.Rand) *Store {
	tb.Helper()
	return openFilledOwned(tb, n, rng, func(int) string { return "" })
}

// openFilledOwned is openFilled with the i-th consignment (from 0) owned
// by owner(i).
func openFilledOwned(tb testing.TB, n int, rng *rand.Rand, owner func(i int) string) *Store {
	tb.Helper()
	s := boltdbtest.MustOpen(tb, Open, boltdbtest.Path(tb, "consignments.db"))
	cs := make([]consignment.Consignment, n) // in creation order
	for i := range cs {
		cs[i] = benchConsignment(randomID(rng))
		cs[i].Owner = owner(i)
	}
	if err := s.Load(context.Background(), cs); err != nil {
		tb.Fatalf("fill the store with %d consignments: %v", n, err)
	}
	return s
}

// benchCallers are the numbers of concurrent callers the write benchmarks
// run with: one caller measures the latency of a lone call; 32 is the load
// of make bench.
var benchCallers = []int{1, 32}

// pageAlloc returns the bytes of pages s has allocated, for writing, in the
// transactions that have ended.
func pageAlloc(s *Store) int64 {
	stats := s.db.Bolt().Stats()
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

// TestLoad checks that Load leaves the file as Creates would: in creation
// order, pending ones unlisted but kept, and that an id stored already
// stores nothing.
func TestLoad(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := boltdbtest.MustOpen(t, Open, boltdbtest.Path(t, "consignments.db"))
	pending := benchConsignment("a")
	pending.Status, pending.VesselID = consignment.StatusPending, ""
	if err := s.Load(ctx, []consignment.Consignment{benchConsignment("c"), pending, benchConsignment("b")}); err != nil {
		t.Fatalf("Load = %v", err)
	}
	items, _, err := s.List(ctx, "", 10, "")
	if got := ids(items); err != nil || len(got) != 2 || got[0] != "c" || got[1] != "b" {
		t.Errorf("List after Load = %v, %v; want [c b]", got, err)
	}
	if got, err := s.Get(ctx, "a"); err != nil || got.Status != consignment.StatusPending {
		t.Errorf("Get(a) = %+v, %v; want it pending", got, err)
	}
	for name, cs := range map[string][]consignment.Consignment{
		"stored already":    {benchConsignment("d"), benchConsignment("b")},
		"twice in one load": {benchConsignment("d"), benchConsignment("d")},
	} {
		if err := s.Load(ctx, cs); !errors.Is(err, consignment.ErrConflict) {
			t.Errorf("Load(%s) = %v, want ErrConflict", name, err)
		}
	}
	if _, err := s.Get(ctx, "d"); !errors.Is(err, consignment.ErrNotFound) {
		t.Errorf("Get(d) after refused loads = %v, want ErrNotFound", err)
	}
}

func ids(cs []consignment.Consignment) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}
