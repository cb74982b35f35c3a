// Package e2e holds the end-to-end tests of the Shippy suite: they build the
// real vessel service, consignment service and CLI once per run, start the
// services as processes that find each other over mDNS inside a private
// network namespace (see platform/netns), and drive them with the CLI.
//
// Run them with `go test -race -count=1 ./...` in this directory (they need
// root or unprivileged user namespaces, plus unshare and ip); `go test -short`
// skips them.
package e2e
