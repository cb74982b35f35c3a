# The go-micro v2 client built from the tutorial's protos (compat/, a module
# outside go.work). Building it here, with the network, fetches its modules,
# so the e2e test can build it again offline inside its network namespace.

.PHONY: tutorial-client
tutorial-client: ## Build and vet the go-micro v2 tutorial client (compat/) into bin/
	cd compat/tutorial-client && GOWORK=off go vet ./... && GOWORK=off go build -o ../../bin/tutorial-client .
	@unformatted=$$(gofmt -l compat); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
