# The contract with CI and with newcomers: `make help` lists every target.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

MODULES  := platform proto shippy-service-vessel shippy-service-consignment shippy-cli-consignment e2e bench tools
PROGRAMS := shippy-service-vessel shippy-service-consignment shippy-cli-consignment
PKGS     := $(foreach m,$(MODULES),./$(m)/...)
FUZZTIME ?= 3s

# Each area of the project keeps its targets in mk/<area>.mk.
include $(wildcard mk/*.mk)

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build static binaries into bin/
	@mkdir -p bin
	@for p in $(PROGRAMS); do \
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/$$p ./$$p || exit 1; \
	done
	@echo "built: $(addprefix bin/,$(PROGRAMS))"

.PHONY: run
run: build ## Run both services on embedded defaults and book consignment.json with the CLI
	@scripts/run-local.sh

.PHONY: test
test: lint proto-check ## Run every check and test: lint, proto staleness, go test -race (e2e over mDNS in a private netns), fuzzing
	go test -race -count=1 $(PKGS)
	@$(MAKE) --no-print-directory fuzz

.PHONY: test-short
test-short: ## Unit and handler tests only (no mDNS, no end-to-end)
	go test -short -count=1 $(PKGS)

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 3s) each
	@scripts/fuzz.sh $(FUZZTIME) $(MODULES)

.PHONY: lint
lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $(MODULES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet $(PKGS)

.PHONY: proto
proto: ## Regenerate the Go code of proto/ (protoc-gen-go and protoc-gen-micro, pinned in tools/go.mod)
	cd tools && go run ./protogen -root ../proto

.PHONY: proto-check
proto-check: ## Fail when the committed generated code differs from what the protos generate
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -r proto/. "$$tmp"; \
	(cd tools && go run ./protogen -root "$$tmp"); \
	if ! diff -r -q proto "$$tmp" >/dev/null; then \
		diff -r proto "$$tmp" | head -40; \
		echo "proto: generated code is stale: run 'make proto' and commit"; exit 1; \
	fi; echo "proto: generated code is up to date"

.PHONY: tidy
tidy: ## go mod tidy in every module
	@for m in $(MODULES); do (cd $$m && go mod tidy) || exit 1; done

.PHONY: clean
clean: ## Remove bin/ and the local data directory
	rm -rf bin data
