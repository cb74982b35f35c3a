package bolt_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// benchCallers are the numbers of concurrent callers each benchmark runs
// with: one caller measures the latency of a lone call; 32 is the load of
// make bench.
var benchCallers = []int{1, 32}

// BenchmarkTakeRoom measures TakeRoom, one durable commit, each call a new
// consignment on the same vessel. With one caller, time per op is the
// latency of a lone call; with more, it is the inverse of the throughput.
func BenchmarkTakeRoom(b *testing.B) {
	for _, callers := range benchCallers {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s := openBenchStore(b)
			ctx := b.Context()
			boltdbtest.RunCallers(b, callers, func(i uint64) error {
				_, err := s.TakeRoom(ctx, vessel.Booking{
					ConsignmentID: fmt.Sprintf("c%d", i), VesselID: "vessel001", Containers: 3, Weight: 3,
				})
				return err
			})
		})
	}
}

// BenchmarkList measures List of a fleet of four vessels, the read of every
// FindAvailable and Book, while nothing is written.
func BenchmarkList(b *testing.B) {
	for _, callers := range benchCallers {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s := openBenchStore(b)
			ctx := b.Context()
			boltdbtest.RunCallers(b, callers, func(uint64) error {
				vessels, err := s.List(ctx)
				if err == nil && len(vessels) != 4 {
					err = fmt.Errorf("listed %d vessels, want 4", len(vessels))
				}
				return err
			})
		})
	}
}

// BenchmarkBook measures vessel.Service.Book on the store, the vessel
// service's part of a create: FindBooking, List and TakeRoom.
func BenchmarkBook(b *testing.B) {
	for _, callers := range benchCallers {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			svc, err := vessel.NewService(openBenchStore(b), func() string { return "unused" }, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			boltdbtest.RunCallers(b, callers, func(i uint64) error {
				_, _, err := svc.Book(ctx, vessel.BookRequest{ConsignmentID: fmt.Sprintf("c%d", i), Containers: 3, Weight: 3})
				return err
			})
		})
	}
}

// BenchmarkBookHeld measures BookHeld of batches of 32 new consignments,
// as the consignment service sends them under load: one commit each. Time
// and allocations per op are per batch; items/s counts bookings.
func BenchmarkBookHeld(b *testing.B) {
	const size = 32
	for _, callers := range benchCallers {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s := openBenchStore(b)
			ctx := b.Context()
			b.ReportAllocs()
			start := time.Now()
			boltdbtest.RunCallers(b, callers, func(i uint64) error {
				reqs := make([]vessel.BookRequest, size)
				for j := range reqs {
					reqs[j] = vessel.BookRequest{ConsignmentID: fmt.Sprintf("c%d-%d", i, j), Containers: 3, Weight: 3}
				}
				now := time.Now()
				out, err := s.BookHeld(ctx, reqs, vessel.Hold{Holder: "bench", Until: vessel.HoldTime(now.Add(30 * time.Second))}, now)
				if err == nil && out[size-1].Err != nil {
					err = out[size-1].Err
				}
				return err
			})
			b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "items/s")
		})
	}
}

// openBenchStore opens a store in a new file with the fleet of make bench:
// four vessels with room for 2^31-1 containers and kilograms each.
func openBenchStore(b *testing.B) *bolt.Store {
	b.Helper()
	s := boltdbtest.MustOpen(b, bolt.Open, boltdbtest.Path(b, "vessels.db"))
	for i := range 4 {
		v := vessel.Vessel{ID: fmt.Sprintf("vessel%03d", i+1), Name: "Bench", Capacity: math.MaxInt32, MaxWeight: math.MaxInt32, Available: true}
		if err := s.Create(b.Context(), v); err != nil {
			b.Fatal(err)
		}
	}
	return s
}
