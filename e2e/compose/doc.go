// Package compose holds the end-to-end tests of Shippy in containers: they
// run the repository's docker-compose.yml on a Docker engine, with the
// images `make images` builds FROM scratch, and drive the suite with the
// CLI's container, over mDNS and over Consul, scaled, killed, restarted,
// and on MongoDB.
//
// Run them with `make e2e`: it builds the images, uses the upstream images
// of the compose profiles where the engine already has them (nothing is
// pulled) or builds stand-ins for them (testdata holds their
// Dockerfiles; testenv/loopbackproxy puts FerretDB on the compose
// network), and passes the compose command it found in SHIPPY_COMPOSE
// ("docker compose" or "docker-compose"). The tests skip, saying why,
// under -short, without SHIPPY_COMPOSE, or when no Docker engine answers.
// Each test is its own compose project (-p), taken down with its volumes
// when the test ends.
package compose
