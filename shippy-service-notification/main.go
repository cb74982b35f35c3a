// Command shippy-service-notification is the notification service: it
// consumes the suite's events from the broker (NATS JetStream) and mails
// users over SMTP, a welcome on user.created and a booking confirmation on
// consignment.booked, each once. It serves no RPC of its own, only health
// and metrics. It is configured from the environment; see run and
// loadConfig.
package main

import "github.com/shippy-suite/shippy/platform"

func main() {
	platform.Main("shippy-service-notification", run)
}
