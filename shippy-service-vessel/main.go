// Command shippy-service-vessel is the vessel service: it keeps the fleet
// and the room left on each vessel, and books that room for consignments.
// It is configured from the environment; see run and loadConfig.
package main

import "github.com/shippy-suite/shippy/platform"

func main() {
	platform.Main("shippy-service-vessel", run)
}
