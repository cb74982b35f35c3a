package report

import (
	"slices"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/bench/load"
)

func TestListingTargets(t *testing.T) {
	t.Parallel()
	page := func(p99 time.Duration) load.Result { return load.Result{Calls: 10, Elapsed: time.Second, P99: p99} }
	tests := []struct {
		name    string
		listing *Listing
		want    []string
	}{
		{"not asked for", nil, nil},
		{"not measured", &Listing{Err: "no store"}, []string{"not measured", "not measured"}},
		{"met", &Listing{Stored: ListingStored, Lone: page(time.Millisecond)}, []string{"PASS", "PASS"}},
		{"slow page", &Listing{Stored: ListingStored, Lone: page(TargetListP99)}, []string{"MISS", "PASS"}},
		{"fewer stored", &Listing{Stored: 1000, Lone: page(time.Millisecond)}, []string{"MISS", "PASS"}},
		{"a duplicate", &Listing{Stored: ListingStored, Lone: page(time.Millisecond), Walk: ListingWalk{Duplicates: 1}}, []string{"PASS", "MISS"}},
		{"a miss", &Listing{Stored: ListingStored, Lone: page(time.Millisecond), Walk: ListingWalk{Missed: 1}}, []string{"PASS", "MISS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, target := range (&Report{Listing: tt.listing}).listingTargets() {
				got = append(got, target.Verdict())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("verdicts = %v, want %v", got, tt.want)
			}
		})
	}
}
