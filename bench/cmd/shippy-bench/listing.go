package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go-micro.dev/v5/client"

	"github.com/shippy-suite/shippy/bench/load"
	"github.com/shippy-suite/shippy/bench/report"
	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt"
)

// Listing measurement: the store file is filled listingBatch consignments
// per transaction; pages are read for listingDuration by one caller, then
// by cfg.concurrency callers; listingCreators create while the walk runs.
const (
	listingBatch    = 50_000
	listingDuration = 5 * time.Second
	listingCreators = 4
	// listingPrefix starts the ids of the consignments written into the
	// file; the rest is the consignment's place, so ids rise with creation
	// order, as time-ordered ids (UUIDv7) would.
	listingPrefix = "list-"
)

// measureListing writes n consignments of the bench's customer into a
// consignment store file, starts the services on it and measures the
// customer's GetConsignments: pages of report.ListingPage at random page
// tokens, and one walk over every page while creates run. It needs the main stack stopped (one instance of each
// service in the registry). A failure is reported in the Listing, not
// returned, unless ctx ended.
func (b *bench) measureListing(ctx context.Context, n int) error {
	l, err := b.listing(ctx, n)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		l.Err = err.Error()
		b.logf("listing: %v", err)
	}
	b.report.Listing = &l
	return nil
}

func (b *bench) listing(ctx context.Context, n int) (l report.Listing, err error) {
	l.Stored, l.Callers = n, b.cfg.concurrency
	root := filepath.Join(b.runDir, "listing")
	reg, err := newRegistry()
	if err != nil {
		return l, err
	}
	// The consignments are the customer's, whose id the user service
	// gives at sign-in: they are written once it has, before the
	// consignment service opens the file.
	fill := func(ctx context.Context, c customer) error {
		start := time.Now()
		if err := fillConsignments(ctx, filepath.Join(root, progConsignment, "consignment.db"), n, c.id); err != nil {
			return err
		}
		l.Fill = time.Since(start)
		b.logf("listing: wrote %d consignments of user %s in %s", n, c.id, l.Fill.Round(time.Millisecond))
		return nil
	}
	st, err := b.startStack(ctx, reg, root, "listing-", map[string]string{}, fill)
	if err != nil {
		return l, err
	}
	defer func() { err = errors.Join(err, st.stop()) }()
	c := platform.NewClient(reg)
	shipping := consignmentpb.NewShippingService(consignmentpb.ServiceName, c)
	token := st.customer.token

	var pageTokens []string
	l.Walk, pageTokens, err = b.walkWhileCreating(ctx, c, shipping, token, n)
	if err != nil {
		return l, err
	}
	page := pageAt(shipping, token, pageTokens)
	for _, callers := range []int{1, b.cfg.concurrency} {
		opts := load.Options{Concurrency: callers, Duration: listingDuration, Timeout: callTimeout}
		b.logf("listing: pages of %d at random tokens, %d callers for %s", report.ListingPage, callers, listingDuration)
		res, err := load.Run(ctx, opts, page)
		if err != nil {
			return l, err
		}
		if callers == 1 {
			l.Lone = res
		} else {
			l.Loaded = res
		}
	}
	return l, nil
}

// fillConsignments writes n booked consignments of owner, shaped as the
// bench's creates, into a new consignment store file at path
// (bolt.Store.Load).
func fillConsignments(ctx context.Context, path string, n int, owner string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	s, err := bolt.Open(path)
	if err != nil {
		return err
	}
	created := time.Now().UTC()
	batch := make([]consignment.Consignment, 0, listingBatch)
	for i := 0; i < n; {
		batch = batch[:0]
		for ; i < n && len(batch) < listingBatch; i++ {
			batch = append(batch, listedConsignment(i, owner, created))
		}
		if err := s.Load(ctx, batch); err != nil {
			return errors.Join(err, s.Close())
		}
	}
	return s.Close()
}

// listedConsignment is the i-th consignment fillConsignments writes for
// owner.
func listedConsignment(i int, owner string, created time.Time) consignment.Consignment {
	id := fmt.Sprintf("%s%07d", listingPrefix, i)
	containers := make([]consignment.Container, benchContainers)
	for j := range containers {
		containers[j] = consignment.Container{CustomerID: fmt.Sprintf("cust%03d", j+1), Origin: "Manchester, United Kingdom", UserID: "user001"}
	}
	return consignment.Consignment{
		ID: id, Description: "shippy-bench", Weight: benchWeight, Containers: containers,
		VesselID: fleetVessel(i % fleetSize).GetId(), Status: consignment.StatusBooked, CreatedAt: created, Owner: owner,
	}
}

// walkWhileCreating walks every page of report.ListingPage while
// listingCreators callers create consignments, every call carrying token,
// and counts the consignments listed twice and those of the n written
// before that were not listed. It returns the page tokens it followed.
func (b *bench) walkWhileCreating(ctx context.Context, c client.Client, shipping consignmentpb.ShippingService, token string, n int) (report.ListingWalk, []string, error) {
	var w report.ListingWalk
	createCtx, stopCreates := context.WithCancel(ctx)
	var (
		wg      sync.WaitGroup
		creates load.Result
		created atomic.Int64
	)
	create := createConsignment(c, token)("listing")
	wg.Go(func() {
		opts := load.Options{Concurrency: listingCreators, Duration: maxDuration, Timeout: callTimeout}
		creates, _ = load.Run(createCtx, opts, func(ctx context.Context, worker, seq int) error {
			err := create(ctx, worker, seq)
			switch {
			case err == nil:
				created.Add(1)
			case createCtx.Err() != nil:
				return nil // stopped by the walk's end: not a failure
			}
			return err
		})
	})
	defer func() { stopCreates(); wg.Wait() }()

	b.logf("listing: walking every page while %d callers create", listingCreators)
	listed := make([]uint8, n)
	others := make(map[string]bool)
	var pageTokens []string
	start := time.Now()
	for pageToken := ""; ; {
		rsp, err := shipping.GetConsignments(withToken(ctx, token), &consignmentpb.GetRequest{Limit: report.ListingPage, PageToken: pageToken})
		if err != nil {
			return w, nil, fmt.Errorf("walk, page %d: %w", w.Pages+1, err)
		}
		w.Pages++
		for _, c := range rsp.GetConsignments() {
			if i, ok := listedIndex(c.GetId(), n); ok {
				if listed[i]++; listed[i] == 2 {
					w.Duplicates++
				}
			} else if others[c.GetId()] {
				w.Duplicates++
			} else {
				others[c.GetId()] = true
			}
		}
		pageToken = rsp.GetNextPageToken()
		if pageToken == "" {
			break
		}
		pageTokens = append(pageTokens, pageToken)
	}
	w.Elapsed = time.Since(start)
	stopCreates()
	wg.Wait()
	w.Creates = int(created.Load())
	for _, times := range listed {
		if times == 0 {
			w.Missed++
		}
	}
	if creates.Errors > 0 {
		return w, nil, fmt.Errorf("creates during the walk: %s", creates.ErrorSummary())
	}
	b.logf("listing: walked %d pages in %s while %d were created; %d listed twice, %d missed",
		w.Pages, w.Elapsed.Round(time.Millisecond), w.Creates, w.Duplicates, w.Missed)
	return w, pageTokens, nil
}

// listedIndex returns i for the id of listedConsignment(i), and false for
// any other id.
func listedIndex(id string, n int) (int, bool) {
	digits, ok := strings.CutPrefix(id, listingPrefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(digits)
	return i, err == nil && i >= 0 && i < n
}

// pageAt is the measured call, carrying token: a page of
// report.ListingPage after a random one of pageTokens (the first page when
// there are none), which must be full.
func pageAt(shipping consignmentpb.ShippingService, token string, pageTokens []string) load.Call {
	return func(ctx context.Context, _, _ int) error {
		pageToken := ""
		if len(pageTokens) > 0 {
			pageToken = pageTokens[rand.IntN(len(pageTokens))]
		}
		rsp, err := shipping.GetConsignments(withToken(ctx, token), &consignmentpb.GetRequest{Limit: report.ListingPage, PageToken: pageToken})
		if err != nil {
			return err
		}
		if got := len(rsp.GetConsignments()); got == 0 || got > report.ListingPage {
			return fmt.Errorf("a page of %d consignments, want 1 to %d", got, report.ListingPage)
		}
		return nil
	}
}
