package report

import (
	"fmt"
	"time"

	"github.com/shippy-suite/shippy/bench/load"
)

// TargetListP99 is the target for a page of ListingPage
// consignments with ListingStored stored.
const (
	TargetListP99 = 5 * time.Millisecond
	ListingStored = 1_000_000
	ListingPage   = 100
)

// Listing is GetConsignments over a large store, by the customer who owns
// every consignment in it.
type Listing struct {
	// Stored is how many consignments the store held, all of the caller,
	// written into its file before the service started, which took Fill.
	Stored int
	Fill   time.Duration
	// Lone and Loaded are pages of ListingPage at random page tokens, by
	// one caller and by Callers callers.
	Lone, Loaded load.Result
	Callers      int
	// Walk is one walk over every page while creates ran.
	Walk ListingWalk
	// Err says why it was not measured.
	Err string
}

// ListingWalk is one walk over every page while creates ran.
type ListingWalk struct {
	Pages   int
	Elapsed time.Duration
	// Creates is how many consignments were created during the walk.
	Creates int
	// Duplicates counts consignments listed more than once; Missed those
	// stored before the walk and not listed. Both must be 0.
	Duplicates, Missed int
}

// ListingLines are the text lines of l, the same in both reports.
func ListingLines(l *Listing) []string {
	if l.Err != "" {
		return []string{"GetConsignments over a large store: not measured (" + l.Err + ")"}
	}
	w := l.Walk
	return []string{
		fmt.Sprintf("GetConsignments of a customer, %d of their consignments stored (written into the file in %s):", l.Stored, l.Fill.Round(time.Second)),
		fmt.Sprintf("  a page of %d at a random token, 1 caller: p50 %s, p99 %s, %.0f pages/s", ListingPage, Millis(l.Lone.P50), Millis(l.Lone.P99), l.Lone.PerSecond()),
		fmt.Sprintf("  the same, %d callers: p50 %s, p99 %s, %.0f pages/s, %d errors", l.Callers, Millis(l.Loaded.P50), Millis(l.Loaded.P99), l.Loaded.PerSecond(), l.Loaded.Errors+l.Lone.Errors),
		fmt.Sprintf("  every page walked while %d consignments were created: %d pages in %s, %d listed twice, %d missed",
			w.Creates, w.Pages, w.Elapsed.Round(time.Millisecond), w.Duplicates, w.Missed),
	}
}

// listingTargets are the listing's targets, when it was asked for: the
// page's p99 under load, and a walk that lists each consignment once.
func (r *Report) listingTargets() []Target {
	l := r.Listing
	if l == nil {
		return nil
	}
	// One caller: with many, a page's p99 is their queue on the machine's
	// cores, which the text reports beside it.
	p99 := Target{Name: fmt.Sprintf("GetConsignments page of %d, %d stored, p99 (1 caller)", ListingPage, ListingStored), Want: "< " + Millis(TargetListP99)}
	walk := Target{Name: "walk of every page while creating: listed twice + missed", Want: "0"}
	if l.Err == "" && l.Lone.Calls > 0 {
		p99.Measured, p99.Pass, p99.Got = true, l.Stored >= ListingStored && l.Lone.P99 < TargetListP99, Millis(l.Lone.P99)
		if l.Stored < ListingStored {
			p99.Got += fmt.Sprintf(" (%d stored)", l.Stored)
		}
		bad := l.Walk.Duplicates + l.Walk.Missed
		walk.Measured, walk.Pass, walk.Got = true, bad == 0, fmt.Sprint(bad)
	}
	return []Target{p99, walk}
}
