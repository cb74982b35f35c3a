// Command shippy-service-consignment is the consignment service: it books
// consignments onto vessels of the vessel service and keeps them. It is
// configured from the environment; see run and loadConfig.
package main

import "github.com/shippy-suite/shippy/platform"

func main() {
	platform.Main("shippy-service-consignment", run)
}
