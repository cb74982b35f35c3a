// Package failpoint kills the process at a named step of its work, for the
// tests that check what a crash at that step leaves behind (e2e
// TestKillAtEachStep). A program reads the step from its environment
// (EnvFailpoint); with none set, a Point is nil and Hit does nothing but a
// nil check.
package failpoint

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// EnvFailpoint names the step at which the process kills itself: "STEP" on
// its first pass there, "STEP@N" on its N-th. It is for tests only.
const EnvFailpoint = "SHIPPY_FAILPOINT"

// The steps of a create, in the order a create passes them. The consignment
// service's steps are taken by each create, the vessel service's by each
// call.
const (
	// BeforeBook: the consignment service is about to send the hold.
	BeforeBook = "consignment.before-book"
	// AfterHold: the vessel service has committed holds and not answered.
	AfterHold = "vessel.after-hold"
	// BeforeStore: the consignment service has its hold and has not
	// stored the consignment.
	BeforeStore = "consignment.before-store"
	// AfterStore: the consignment is stored and the caller not answered.
	AfterStore = "consignment.after-store"
	// AfterConfirm: the vessel service has committed confirmations and
	// not answered.
	AfterConfirm = "vessel.after-confirm"
)

// Steps returns every step, in the order a create passes them.
func Steps() []string {
	return []string{BeforeBook, AfterHold, BeforeStore, AfterStore, AfterConfirm}
}

// Point is the step a process is to be killed at. A nil *Point is valid and
// never kills.
type Point struct {
	step string
	// at is the pass of step that kills, counted from 1.
	at   int64
	hits atomic.Int64
	kill func()
}

// FromEnv returns the Point EnvFailpoint names in getenv, or nil when it is
// unset. The step must be one of Steps.
func FromEnv(getenv func(string) string) (*Point, error) {
	v := getenv(EnvFailpoint)
	if v == "" {
		return nil, nil
	}
	step, n, hasN := strings.Cut(v, "@")
	if !slices.Contains(Steps(), step) {
		return nil, fmt.Errorf("%s: unknown step %q (known: %s)", EnvFailpoint, step, strings.Join(Steps(), ", "))
	}
	at := int64(1)
	if hasN {
		var err error
		if at, err = strconv.ParseInt(n, 10, 64); err != nil || at < 1 {
			return nil, fmt.Errorf("%s: %q: the pass after @ must be a whole number from 1", EnvFailpoint, v)
		}
	}
	return &Point{step: step, at: at, kill: killSelf}, nil
}

// Hit counts a pass through step and kills the process on the pass p was
// set for.
func (p *Point) Hit(step string) {
	if p == nil || step != p.step {
		return
	}
	if p.hits.Add(1) == p.at {
		p.kill()
	}
}

// killSelf ends the process with SIGKILL, as a crash or the OOM killer
// would: no deferred call, no flush, no deregistration.
func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}
