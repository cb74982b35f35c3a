package compose

import (
	"cmp"
	"context"
	"strings"
	"testing"
	"time"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
)

// builtInVessel is the vessel of the services' built-in fleet.
const builtInVessel = "vessel001"

// TestCreateAndList runs `docker compose up` on each registry, books the
// image's consignment.json with the CLI's container, as the README does,
// and finds it in the list; then every container stops cleanly.
func TestCreateAndList(t *testing.T) {
	for _, registry := range []string{"mdns", "consul"} {
		t.Run(registry, func(t *testing.T) {
			cfg := stackConfig{registry: registry}
			if registry == "consul" {
				cfg.consulImage = consulImage(t)
			}
			s := newStack(t, cfg)
			s.start(t)

			id := s.book(t, builtInVessel)
			cs := s.requireListed(t, id)
			if len(cs) != 1 || cs[0].VesselID != builtInVessel {
				t.Errorf("list = %+v, want only %s on %s", cs, id, builtInVessel)
			}
			s.stopCleanly(t)
		})
	}
}

// TestRestartKeepsData takes the whole stack down and up again: what was
// booked is still listed, and the room it took on the vessel is still
// taken, because the embedded databases live in named volumes.
func TestRestartKeepsData(t *testing.T) {
	s := newStack(t, stackConfig{})
	s.start(t)
	s.requireKeptAcross(t, func() { s.restart(t) })
	s.stopCleanly(t)
}

// requireKeptAcross books two of consignment.json, calls lose, and requires
// that both are still listed and that the room they took is still taken:
// the built-in vessel, which takes three of them (55000 kg of its 200000 kg
// each), has room for one more and is then full.
func (s *stack) requireKeptAcross(t *testing.T, lose func()) {
	t.Helper()
	first, second := s.book(t, builtInVessel), s.book(t, builtInVessel)
	lose()
	s.requireListed(t, first, second)
	third := s.book(t, builtInVessel)
	s.requireFull(t)
	s.requireListed(t, first, second, third)
}

// TestMongo runs the services on the mongo profile, with MONGO_URI naming
// the mongo service over the compose network: what they keep survives the
// loss of their own volumes, because it is in MongoDB.
func TestMongo(t *testing.T) {
	s := newStack(t, stackConfig{mongoImage: requireMongo(t)})
	s.start(t)
	s.requireKeptAcross(t, func() {
		s.mustCompose(t, "down")
		for _, volume := range []string{"vessel-data", "consignment-data"} {
			mustDocker(t, "volume", "rm", s.name+"_"+volume)
		}
		s.start(t)
	})
	s.stopCleanly(t)
}

// TestScaleAndKill runs three vessel instances, registered in Consul, that
// share their data through the mongo profile (an embedded database belongs
// to one process), and streams creates through the CLI's container. The
// calls spread over the instances, as their metrics show. Then it kills one instance during the
// stream: once Consul drops it, no create fails (the consignment service
// retries a vessel call that could not reach its instance on another, and
// the CLI's creates carry their own id, so a retry books once), and Consul
// shows the two others healthy.
func TestScaleAndKill(t *testing.T) {
	s := newStack(t, stackConfig{
		registry:    "consul",
		consulImage: consulImage(t),
		mongoImage:  requireMongo(t),
		// A TTL of 9 s instead of 30 s, renewed every 3 s as the default
		// renews every 10 s: Consul drops a killed instance within
		// seconds. (go-micro's register loop holds off a stop for up to
		// one renewal, almost 3 s when the registry does not answer: a
		// shorter interval would keep it busy.)
		env: []string{"MICRO_REGISTER_TTL=9s", "MICRO_REGISTER_INTERVAL=3s"},
		// The vessel instances' metrics, on the host.
		files: []string{"metrics.yml"},
	})
	s.start(t, "--scale", svcVessel+"=3")
	// The CLI's containers must leave the services as the test makes them:
	// compose run would start a killed instance again.
	s.runOpts = []string{"--no-deps"}
	consul := s.consul(t)
	vessels := s.containers(t, svcVessel)
	if len(vessels) != 3 {
		t.Fatalf("%d vessel containers, want 3", len(vessels))
	}
	var addrs []string
	for _, id := range vessels {
		addrs = append(addrs, containerIP(t, id))
	}
	consul.waitPassing(t, vesselpb.ServiceName, addrs, 30*time.Second)

	// The calls spread: the selector picks an instance at random for each
	// call, so every instance soon books some of the creates (after five
	// or six on average; 40 all on two instances would happen once in
	// four million runs).
	creates := s.startCreates(2)
	t.Cleanup(func() { creates.end() })
	spread := waitSpread(t, vessels, creates, 40)
	for i, id := range vessels {
		t.Logf("vessel instance %s had answered %d BookBatch calls when %d creates had ended", addrs[i], spread.books[id], spread.creates)
	}

	victim := vessels[0]
	killed := time.Now()
	mustDocker(t, "kill", victim)
	dropped := consul.waitPassing(t, vesselpb.ServiceName, addrs[1:], 30*time.Second)
	t.Logf("Consul dropped the killed instance %v after the kill", dropped.Sub(killed).Round(time.Millisecond))
	creates.waitFor(t, 8, dropped, 3*time.Minute)
	results := creates.end()

	var ids []string
	failedBefore := 0
	for _, r := range results {
		switch {
		case r.id != "":
			ids = append(ids, r.id)
		case r.start.Before(dropped):
			failedBefore++
			t.Logf("a create that started %v before Consul dropped the killed instance failed: %v", dropped.Sub(r.start).Round(time.Millisecond), r.cli)
		default:
			t.Errorf("a create that started %v after Consul dropped the killed instance failed: %v", r.start.Sub(dropped).Round(time.Millisecond), r.cli)
		}
	}
	t.Logf("%d creates, %d failed before Consul dropped the killed instance", len(results), failedBefore)
	s.requireListed(t, ids...)
	consul.waitPassing(t, vesselpb.ServiceName, addrs[1:], 0)
	s.stopCleanly(t, victim)
}

// TestImages checks each image of the suite: it runs as a non-root user,
// has no shell, and a service's image checks its health without one.
// (make images checks their sizes.)
func TestImages(t *testing.T) {
	requireCompose(t)
	requireImages(t)
	for _, prog := range []string{svcUser, svcVessel, svcConsignment, svcCLI} {
		t.Run(prog, func(t *testing.T) {
			image := imageRef(prog)
			if got := strings.TrimSpace(mustDocker(t, "image", "inspect", "-f", "{{.Config.User}}", image)); got != "65532:65532" {
				t.Errorf("user %q, want 65532:65532", got)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if out, err := docker(ctx, "run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "true"); err == nil {
				t.Errorf("/bin/sh runs in %s: %s", image, out)
			}
			health := strings.TrimSpace(mustDocker(t, "image", "inspect", "-f", "{{if .Config.Healthcheck}}{{json .Config.Healthcheck.Test}}{{end}}", image))
			want := ""
			if prog != svcCLI {
				want = `["CMD","/` + prog + `","healthcheck"]`
			}
			if health != want {
				t.Errorf("health check %s, want %s", cmp.Or(health, "none"), cmp.Or(want, "none"))
			}
		})
	}
}
