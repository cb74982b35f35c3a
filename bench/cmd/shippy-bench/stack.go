package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"time"

	"go-micro.dev/v5/registry"

	"github.com/shippy-suite/shippy/bench/discovery"
	"github.com/shippy-suite/shippy/platform"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
	userpb "github.com/shippy-suite/shippy/proto/user"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/testenv/proc"
)

// The programs measured, as make build names them in bin/.
const (
	progUser        = "shippy-service-user"
	progVessel      = "shippy-service-vessel"
	progConsignment = "shippy-service-consignment"
)

// envTokenTTL is the user service's variable of its tokens' lifetime.
const envTokenTTL = "TOKEN_TTL"

// Timing of the service processes.
const (
	// shutdownTimeout is the services' SHUTDOWN_TIMEOUT; stopGrace is how
	// much longer a stopped service may take before it is killed.
	shutdownTimeout = 5 * time.Second
	stopGrace       = 5 * time.Second
	// discoverTimeout bounds the time from start to discoverable.
	discoverTimeout = 15 * time.Second
)

// envPprof names a loopback address where a service built with the bench's
// pprof hook (make bench-profile) serves net/http/pprof. The services in
// bin/ ignore it.
const envPprof = "SHIPPY_BENCH_PPROF"

// passedEnv are the variables of the bench's own environment the services
// get too: the Go runtime's knobs, so a run can try GOGC or GOMAXPROCS.
var passedEnv = []string{"PATH", "HOME", "TMPDIR", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"}

// serviceEnv is the whole environment of a service: mDNS, listening on
// addr, its data in dataDir, plus extra ("KEY=value" each). Nothing else is
// inherited, so a MICRO_* or DATA_DIR in the caller's environment cannot
// change what is measured.
func serviceEnv(getenv func(string) string, addr, dataDir string, extra ...string) []string {
	env := []string{
		platform.EnvRegistry + "=" + platform.RegistryMDNS,
		platform.EnvServerAddress + "=" + addr,
		platform.EnvShutdownTimeout + "=" + shutdownTimeout.String(),
		"DATA_DIR=" + dataDir,
	}
	env = append(env, inheritedEnv(getenv)...)
	return append(env, extra...)
}

// inheritedEnv is the variables of passedEnv that getenv sets, as
// KEY=value.
func inheritedEnv(getenv func(string) string) []string {
	var env []string
	for _, key := range passedEnv {
		if v := getenv(key); v != "" {
			env = append(env, key+"="+v)
		}
	}
	return env
}

// freeAddress returns a loopback address with a port nobody listens on now.
// Inside the private namespace nothing else takes it before the service
// does, so the bench knows a service's address before it starts.
func freeAddress() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := lis.Addr().String()
	return addr, lis.Close()
}

// newRegistry returns a fresh mDNS registry: lookups through it are not
// cached.
func newRegistry() (registry.Registry, error) {
	cfg, err := platform.LoadConfig(func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	return platform.NewRegistry(cfg)
}

// service is a started service: its process and where it listens.
type service struct {
	name string // registry name
	addr string
	*proc.Process
}

// startService starts the program at path as registry name, listening on a
// free loopback port, with its data in dataDir and its output in logFile,
// and returns once reg lists it.
func startService(ctx context.Context, getenv func(string) string, reg registry.Registry, path, name, dataDir, logFile string, extra ...string) (*service, error) {
	addr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child has its own descriptor
	p, err := proc.Start(path, serviceEnv(getenv, addr, dataDir, extra...), log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	if err := discovery.WaitNode(ctx, reg, name, addr, p.Exited()); err != nil {
		if stopErr := p.Stop(stopGrace); stopErr != nil {
			err = fmt.Errorf("%w; %v", err, stopErr)
		}
		return nil, fmt.Errorf("%s (log %s): %w", p.Name(), logFile, err)
	}
	return &service{name: name, addr: addr, Process: p}, nil
}

// stop stops the service and checks that it exited 0.
func (s *service) stop() error {
	return s.Stop(shutdownTimeout + stopGrace)
}

// Workload shape: every create books benchContainers containers weighing
// benchWeight kg in all onto a fleet of fleetSize vessels with the most room
// a vessel can have, so the fleet never runs out of room during a run.
const (
	fleetSize       = 4
	benchContainers = 3
	benchWeight     = 3
)

// fleetVessel returns the i-th vessel of the bench fleet, as FindAvailable
// returns it before any booking.
func fleetVessel(i int) *vesselpb.Vessel {
	return &vesselpb.Vessel{
		Id:                fmt.Sprintf("bench-vessel-%d", i+1),
		Name:              fmt.Sprintf("Bench %d", i+1),
		Capacity:          math.MaxInt32,
		MaxWeight:         math.MaxInt32,
		Available:         true,
		OwnerId:           "bench",
		RemainingCapacity: math.MaxInt32,
		RemainingWeight:   math.MaxInt32,
	}
}

// fleetDescription says what fleetVessel seeds, for the report.
func fleetDescription() string {
	creates := float64(fleetSize) * float64(math.MaxInt32/benchWeight)
	return fmt.Sprintf("%d vessels, each with room for 2^31-1 containers and 2^31-1 kg (the int32 maximum); every create "+
		"books %d containers weighing %d kg in all, so the fleet holds %.1f billion creates and never runs out",
		fleetSize, benchContainers, benchWeight, creates/1e9)
}

// writeFleet writes the bench fleet as a VESSELS_FILE and returns its path.
func writeFleet(dir string) (string, error) {
	fleet := make([]map[string]any, fleetSize)
	for i := range fleet {
		v := fleetVessel(i)
		fleet[i] = map[string]any{"id": v.Id, "name": v.Name, "capacity": v.Capacity,
			"max_weight": v.MaxWeight, "available": v.Available, "owner_id": v.OwnerId}
	}
	data, err := json.MarshalIndent(fleet, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "vessels.json")
	return path, os.WriteFile(path, data, 0o644)
}

// stack is the three services under test, and the bench's customer,
// signed in on the user service.
type stack struct {
	user, vessel, consignment *service
	customer                  customer
}

// startStack starts the user service, signs the bench's customer in on it,
// then starts the vessel service on the bench fleet and the consignment
// service, with their data under root and their logs named with logPrefix,
// and returns once all three are discoverable. beforeConsignment, if not
// nil, runs once the customer is signed in, before the consignment service
// starts (and opens its store). With a profile directory, the vessel and
// consignment services are asked to serve pprof (see envPprof) and their
// addresses are stored in pprofAddrs by program name; the user service,
// which takes no calls during the loads, is not.
func (b *bench) startStack(ctx context.Context, reg registry.Registry, root, logPrefix string, pprofAddrs map[string]string,
	beforeConsignment func(context.Context, customer) error) (_ *stack, err error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	fleetFile, err := writeFleet(root)
	if err != nil {
		return nil, err
	}
	start := func(prog, name string, profile bool, extra ...string) (*service, error) {
		if profile && b.cfg.profileDir != "" {
			addr, err := freeAddress()
			if err != nil {
				return nil, err
			}
			pprofAddrs[prog] = addr
			extra = append(extra, envPprof+"="+addr)
		}
		b.logf("starting %s, data in %s", prog, root)
		return startService(ctx, b.getenv, reg, b.bin(prog), name,
			filepath.Join(root, prog), b.logFile(logPrefix+prog), extra...)
	}
	st := &stack{}
	if st.user, err = start(progUser, userpb.ServiceName, false, envTokenTTL+"="+tokenTTL.String()); err != nil {
		return nil, err
	}
	// On failure, the services started so far are stopped.
	defer func() {
		if err != nil {
			err = errors.Join(err, st.stop())
		}
	}()
	signInCtx, cancel := context.WithTimeout(ctx, callTimeout)
	st.customer, err = signIn(signInCtx, platform.NewClient(reg))
	cancel()
	if err != nil {
		return nil, err
	}
	b.logf("signed in on %s as %s (user %s)", progUser, customerEmail, st.customer.id)
	if beforeConsignment != nil {
		if err := beforeConsignment(ctx, st.customer); err != nil {
			return nil, err
		}
	}
	if st.vessel, err = start(progVessel, vesselpb.ServiceName, true, "VESSELS_FILE="+fleetFile); err != nil {
		return nil, err
	}
	if st.consignment, err = start(progConsignment, consignmentpb.ServiceName, true); err != nil {
		return nil, err
	}
	return st, nil
}

// services are the stack's services: the vessel service, the consignment
// service, then the user service.
func (s *stack) services() []*service { return []*service{s.vessel, s.consignment, s.user} }

// stop stops the consignment service, the vessel service, then the user
// service, those that were started, and checks that they exited 0.
func (s *stack) stop() error {
	var errs []error
	for _, svc := range []*service{s.consignment, s.vessel, s.user} {
		if svc != nil {
			errs = append(errs, svc.stop())
		}
	}
	return errors.Join(errs...)
}
