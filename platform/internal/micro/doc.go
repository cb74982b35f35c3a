// Package micro holds the code that exists only because of defects of
// go-micro v5.12.0: drop each piece when go-micro fixes what it works
// around, once the test named beside it passes without it. Each file opens
// with the go-micro file and function at fault; docs/go-micro-workarounds.md
// tells each story, and how to drop it.
//
//   - grpcstd.go, StdServices: grpc.health.v1 and reflection on the go-micro
//     gRPC port, whose *grpc.Server go-micro keeps private. Tested by
//     platform's TestStandardServices and TestHealth*.
//   - recording.go, RecordingServer: reflection lists the go-micro handlers,
//     which go-micro keeps in a router of its own. Tested by
//     TestStandardServices/reflection_lists_and_describes_the_services.
//   - decode.go (and wire): a request body that does not decode is the
//     caller's error, a 400, not the Internal error go-micro passes on.
//     Tested by TestStandardServices/undecodable_bodies_are_the_caller's_error.
//   - drain.go, Drainer: in-flight calls finish before go-micro's hard
//     one-second stop, and new ones are refused with a 503; Drainer.Registry
//     keeps go-micro's register loop from putting a draining node back.
//     Tested by TestDrainer*, TestDrainingRegistry*, and platform's
//     TestDrainOutlastsHardStop, TestStopWithRegistryGone and
//     TestServiceStopsCleanly.
//   - refresh.go, NewRefreshingRegistry: go-micro's registry cache never
//     expires a running service's entry over mDNS, so no call waits for a
//     lookup. Tested by TestRefreshingRegistryKeepsCacheFresh.
//   - firstanswer.go, NewFirstAnswerRegistry: an mDNS lookup returns at the
//     first answer instead of waiting out its timeout; later answers reach
//     go-micro's registry cache as watch events. Tested by
//     TestFirstAnswer*.
//   - watcher.go: the registry watcher with events of our own added, which
//     refresh.go and firstanswer.go both return.
//   - consul.go, NewConsulRegistry: go-micro's Consul registry reports an
//     unknown or failing service as not found, and a second deregister
//     succeeds. Tested by TestConsulRegistry*.
//
// Smaller workarounds stay inline, each with a comment: a memory store of
// the service's own (go-micro's default writes $HOME/micro/store),
// a client selector of its own (client.Registry re-points go-micro's global
// one), every gRPC server option in one grpcserver.Options call (each call
// replaces the last), and no service.Init (it parses os.Args).
package micro
