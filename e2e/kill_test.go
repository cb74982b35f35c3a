package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/failpoint"
)

// Timing of TestKillAtEachStep.
const (
	// killPass is the pass of its step at which a process kills itself:
	// after crashAfter creates are booked, so that the load is flowing.
	killPass = 2 * crashAfter
	// recoveryWait bounds how long the holds of abandoned creates take to
	// be settled: they run out 30 s after their last booking call
	// (consignment.LeaseDuration), and the recovery that settles them runs
	// every 30 s.
	recoveryWait = 90 * time.Second
)

// TestKillAtEachStep kills, in turn, the process that takes each step of a
// create (failpoint.Steps: the consignment service before it books, the
// vessel service after it commits holds, ...) at that step, under load, and
// starts it again on the same data. After each kill both services' books
// agree (checkBooks). Then half the creates that got no booking are retried
// and the others abandoned, as clients that gave up; once the holds of the
// abandoned ones have run out and recovery has settled them, the room taken
// on each vessel is exactly that of the consignments listed on it: no room
// stays taken for a consignment that is not stored, and none is stored
// without its room.
func TestKillAtEachStep(t *testing.T) {
	requireE2E(t)
	st := startStack(t, readFleet(t, "crash-fleet.json"))
	l := newLedger()
	for i, step := range failpoint.Steps() {
		t.Run(step, func(t *testing.T) {
			target := &st.consignment
			if strings.HasPrefix(step, "vessel.") {
				target = &st.vessel
			}
			base := *target
			base.stop(t)
			armed := startService(t, st.owner, base.prog, base.name,
				append(slices.Clip(base.env), fmt.Sprintf("%s=%s@%d", failpoint.EnvFailpoint, step, killPass)))
			*target = armed
			runUntilCrash(t, st.rpc(t), l, fmt.Sprintf("k%d", i), func() { armed.waitKilled(t, rpcTimeout) })
			*target = base.startAgain(t, st.owner)
			checkBooks(t, st.rpc(t), l)
		})
		if t.Failed() {
			return
		}
	}

	c := st.rpc(t)
	retry, abandon := halves(l.unsettled())
	t.Logf("after the kills: %d booked; of the creates with no booking, %d retried, %d abandoned",
		l.count(booked), len(retry), len(abandon))
	l.settle(t, c, retry, settleWait)
	l.abandon(abandon)
	deadline := time.Now().Add(recoveryWait)
	for excess := excessRoom(t, c); excess != (load{}); excess = excessRoom(t, c) {
		if time.Now().After(deadline) {
			t.Errorf("%s taken beyond the consignments listed %s after the kills", excess, recoveryWait)
			break
		}
		time.Sleep(time.Second)
	}
	checkBooks(t, c, l)
}

// waitKilled waits up to wait for s to end by SIGKILL, as a failpoint ends
// it, and fails t when it does not.
func (s *service) waitKilled(t *testing.T, wait time.Duration) {
	t.Helper()
	select {
	case <-s.proc.Exited():
	case <-time.After(wait):
		t.Fatalf("%s did not reach its failpoint within %s", s.prog, wait)
	}
	s.stopped = true
	if state := s.proc.State(); state != "signal: killed" {
		t.Fatalf("%s ended with %s, want SIGKILL from its failpoint", s.prog, state)
	}
}

// halves splits ids in two: the first, third, ... and the second, fourth,
// ...
func halves(ids []string) (odd, even []string) {
	for i, id := range ids {
		if i%2 == 0 {
			odd = append(odd, id)
		} else {
			even = append(even, id)
		}
	}
	return odd, even
}

// abandon records that the clients of the creates with the ids gave up:
// whatever their outcome was, no room may stay taken for them once the
// services have settled, unless they are listed.
func (l *ledger) abandon(ids []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.creates[id].outcome = abandoned
	}
}

// excessRoom returns the room taken over the fleet beyond the room of the
// consignments listed, whoever owns them.
func excessRoom(t *testing.T, c *rpcClient) load {
	t.Helper()
	var excess load
	for _, v := range c.listVessels(t) {
		excess = excess.add(taken(v))
	}
	for _, listed := range c.listAll(t) {
		excess = excess.sub(loadOf(listed))
	}
	return excess
}
