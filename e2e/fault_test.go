package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Load of the crash tests.
const (
	// crashWorkers create consignments one after another, concurrently.
	crashWorkers = 16
	// crashAfter is how many creates are booked before the crash: the
	// load is flowing by then.
	crashAfter = 40
	// loadAfterCrash is how long the load goes on after the crash.
	loadAfterCrash = 500 * time.Millisecond
	// settleWait bounds the retries of creates that got no booking.
	settleWait = 30 * time.Second
)

// TestCrashMidCreate kills each service with SIGKILL while creates are in
// flight, and starts it again on the same data.
//
// Vessel service: the consignment service answers the creates it cannot
// book with a clear 503 and stays up. After the restart, every booked
// consignment is listed once with its room, the room of the failed ones is
// at most held, and once each failed create has been retried with its
// id (as a client that got no booking does) every consignment listed holds
// its room exactly once, and no room is held for one that is not.
//
// Consignment service: after the restart every booked consignment is
// listed once with its room booked, and the only room held beyond that is
// for creates that got no answer. Those stay held by the vessel service for
// 30 s (consignment.LeaseDuration, not configurable) until a retry or the
// recovery that runs every 30 s settles them; the test does not wait for
// that (TestKillAtEachStep does).
func TestCrashMidCreate(t *testing.T) {
	requireE2E(t)
	// Room for every create, so that a create fails only because of the crash.
	st := startStack(t, readFleet(t, "crash-fleet.json"))
	l := newLedger()

	t.Run("vessel service killed", func(t *testing.T) {
		c := st.rpc(t)
		runUntilCrash(t, c, l, "vk", func() { st.vessel.kill(t) })
		if st.consignment.hasExited() {
			t.Fatalf("the consignment service exited when the vessel service was killed: %s", st.consignment.proc.State())
		}
		failed := l.withOutcome(refused, unavailable, unanswered)
		for id, sc := range failed {
			if sc.outcome != unavailable || !strings.Contains(sc.err.Error(), "vessel service unavailable") {
				t.Errorf("create %s while the vessel service was down: want the consignment service's 503 "+
					"(vessel service unavailable), got %s: %v", id, sc.outcome, sc.err)
			}
		}
		if len(failed) == 0 {
			t.Errorf("no create failed in the %s after the vessel service was killed", loadAfterCrash)
		}
		t.Logf("before the restart: %d booked, %d unavailable", l.count(booked), l.count(unavailable))

		st.restartVessel(t)
		c = st.rpc(t)
		checkBooks(t, c, l)
		l.settle(t, c, l.unsettled(), settleWait)
		t.Logf("after retrying the failed creates: %d booked, %d refused", l.count(booked), l.count(refused))
		checkBooks(t, c, l)
	})

	t.Run("consignment service killed", func(t *testing.T) {
		c := st.rpc(t)
		runUntilCrash(t, c, l, "ck", func() { st.consignment.kill(t) })
		t.Logf("before the restart: %d booked in all, %d unanswered", l.count(booked), l.count(unanswered))
		if n := l.count(unanswered); n == 0 {
			t.Errorf("no create went unanswered in the %s after the consignment service was killed", loadAfterCrash)
		}
		st.restartConsignment(t)
		c = st.rpc(t)
		checkBooks(t, c, l)

		req := newRequest("after-crash", 2, 20)
		if o, err := l.create(c, req); o != booked {
			t.Fatalf("create after the restart: %s: %v", o, err)
		}
		checkBooks(t, c, l)
	})
}

// runUntilCrash creates consignments from crashWorkers goroutines, one
// after another, with ids that start with prefix, and records them in l.
// Once crashAfter of them are booked it calls crash, goes on for
// loadAfterCrash, and returns when every create has returned.
func runUntilCrash(t *testing.T, c *rpcClient, l *ledger, prefix string, crash func()) {
	t.Helper()
	before := l.count(booked)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req := newRequest(fmt.Sprintf("%s-w%02d-%04d", prefix, w, i), 1+(w+i)%3, int32(10+w+i))
				l.create(c, req)
			}
		})
	}
	deadline := time.Now().Add(rpcTimeout)
	for l.count(booked)-before < crashAfter {
		if time.Now().After(deadline) {
			close(stop)
			wg.Wait()
			t.Fatalf("fewer than %d creates booked in %s: %d refused, %d unavailable, %d unanswered",
				crashAfter, rpcTimeout, l.count(refused), l.count(unavailable), l.count(unanswered))
		}
		time.Sleep(10 * time.Millisecond)
	}
	crash()
	time.Sleep(loadAfterCrash)
	close(stop)
	wg.Wait()
}
