// Command shippy-service-user is the user service: it keeps the accounts of
// customers and operators, checks their passwords and signs the tokens
// with which they call the other services. It is configured from the
// environment; see run and loadConfig.
package main

import "github.com/shippy-suite/shippy/platform"

func main() {
	platform.Main("shippy-service-user", run)
}
