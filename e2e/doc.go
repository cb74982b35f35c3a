// Package e2e holds the end-to-end tests of the Shippy suite: they build the
// real user, vessel, consignment and notification services and the CLI once
// per run, start the services as processes that find each other over mDNS
// inside a private network namespace (see testenv/netns), and drive them
// with the CLI.
// Every stack registers a customer and logs them in; the CLI and the tests'
// go-micro clients call with that customer's token, and the tests that must
// see every consignment call with an operator's, signed with the user
// service's own key (auth_test.go tests the refusals).
//
// The tests share one mDNS namespace, so none that starts a service runs in
// parallel with another: a second stack would answer the first one's
// lookups. Each stops what it started. Files: stack_test.go starts the
// services, cli_run_test.go runs the CLI and reads its output, rpc_test.go
// and books_test.go call the services directly and check their books,
// user_test.go calls the user service alone, events_test.go runs a stack
// on a NATS server (testenv/natstest) with the notification service mailing
// an SMTP sink (testenv/smtpsink), both in the test; the others are tests,
// named after what they test.
//
// Run them with `go test -race -count=1 ./...` in this directory (they need
// root or unprivileged user namespaces, plus unshare and ip); `go test -short`
// skips them.
package e2e
