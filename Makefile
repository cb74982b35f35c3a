# The contract with CI and with newcomers: `make help` lists every target.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

MODULES  := domain platform proto shippy-service-vessel shippy-service-consignment shippy-service-user shippy-service-notification shippy-cli-consignment e2e bench testenv tools
# The services of the suite, in start order (a service after those it calls): make run and
# make dev start each of them (scripts/suite.sh). A new service joins by its name here.
# The notification service calls none (it needs only the broker, which starts first): it
# comes last so that the others keep their ports.
SERVICES := shippy-service-user shippy-service-vessel shippy-service-consignment shippy-service-notification
PROGRAMS := $(SERVICES) shippy-cli-consignment
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

# make run and make dev start the NATS server of bin/nats-server too (unless NATS_URL is set),
# and the SMTP sink of bin/smtpsink (unless SMTP_ADDRESS is set).
.PHONY: run
run: build nats smtpsink ## Run the services (and a NATS server) on embedded defaults and book consignment.json with the CLI
	@SHIPPY_SERVICES="$(SERVICES)" scripts/run-local.sh

# make dev CMD='...' hands CMD to scripts/dev.sh as one argument, quoted for the shell.
.PHONY: dev
dev: build nats smtpsink ## Start the services (as make run does) and open a shell among them; CMD='...' runs that instead
	@SHIPPY_SERVICES="$(SERVICES)" scripts/dev.sh $(if $(value CMD),'$(subst ','\'',$(value CMD))')

# make test runs these steps, in this order; the README's "Tests and benchmarks" lists the
# same. What each costs cold (empty build cache, 2 cores; the tools are built once, then
# cached in bin/), about:
#   lint             gofmt, go vet of every module, every target in make help      4 min
#   proto-check      regenerates the protos in a temporary directory, compares    15 s
#   consul           builds bin/consul, the Consul agent                        6-10 min
#   nats             builds bin/nats-server, the NATS server (JetStream)        1-1.5 min
#   ferretdb         builds bin/ferretdb, the MongoDB wire server                  2 min
#   promtool         builds bin/promtool, Prometheus's linter                    7-8 min
#   tutorial-client  vets and builds the go-micro v2 tutorial client             1.5 min
#   test-race        go test -race of every module (end to end over mDNS too)     10 min
#   e2e              the compose tests on Docker (skipped where no engine answers) 10 min
#   dev-check        make dev passes a command's output and status on        30 s (+3 min
#                    for the static build where e2e did not build the images)
#   fuzz             every fuzz target for FUZZTIME                                3 min
.PHONY: test
test: ## Run every check and test, in the order the recipe lists (see the comment above it)
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory proto-check
	@$(MAKE) --no-print-directory consul
	@$(MAKE) --no-print-directory nats
	@$(MAKE) --no-print-directory ferretdb
	@$(MAKE) --no-print-directory promtool
	@$(MAKE) --no-print-directory tutorial-client
	@$(MAKE) --no-print-directory test-race
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory dev-check
	@$(MAKE) --no-print-directory fuzz

.PHONY: test-race
test-race: ## go test -race on every module (e2e over mDNS in a private netns); needs the tools make test builds first
	go test -race -count=1 $(PKGS)

# dev-check runs make dev twice on a temporary DATA_DIR: a sign-up, a login, a booking and a
# list, whose output must come through, then a command that fails, whose status must.
DEV_CHECK_CMD = cli=shippy-cli-consignment; \
	echo dev-check-password | $$cli user create --name Dev --email dev@shippy.example >/dev/null \
	&& echo dev-check-password | $$cli login --email dev@shippy.example >/dev/null \
	&& $$cli create shippy-cli-consignment/consignment.json >/dev/null && $$cli --json list
.PHONY: dev-check
dev-check: ## Check make dev CMD=...: the command's output and its exit status come through
	@data=$$(mktemp -d); trap 'rm -rf "$$data"' EXIT; \
	dev() { DATA_DIR=$$data $(MAKE) --no-print-directory dev SHIPPY_SKIP_IMAGES=1 CMD="$$1" 2>"$$data/stderr"; }; \
	out=$$(dev '$(DEV_CHECK_CMD)') \
		|| { cat "$$data/stderr"; echo "dev-check: make dev CMD='... --json list' failed"; exit 1; }; \
	if [[ $$(tail -n 1 <<<"$$out") != '[{"id":'*'"vessel_id":"vessel001","owner_id":"'*'"}]' ]]; then \
		echo "dev-check: make dev CMD='... --json list' printed no list of the booking:"; echo "$$out"; exit 1; fi; \
	if dev 'exit 3' >/dev/null || ! grep -q 'Error 3$$' "$$data/stderr"; then \
		cat "$$data/stderr"; echo "dev-check: make dev CMD='exit 3' did not fail with status 3"; exit 1; fi; \
	echo "dev-check: make dev passes a command's output and exit status on"

.PHONY: test-short
test-short: ## Unit and handler tests only (no mDNS, no end-to-end)
	go test -short -count=1 $(PKGS)

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 3s) each
	@scripts/fuzz.sh $(FUZZTIME) $(MODULES)

.PHONY: lint
lint: ## gofmt, go vet, and make help lists every target
	@unformatted=$$(gofmt -l $(MODULES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	@unlisted=$$(comm -23 <(sed -n 's/^\.PHONY: *//p' $(MAKEFILE_LIST) | tr ' ' '\n' | sort -u) \
		<($(MAKE) --no-print-directory help | awk '{print $$1}' | sort -u)); \
	if [ -n "$$unlisted" ]; then echo "make help lists no" $$unlisted "(add \"## what it does\" to the rule)"; exit 1; fi
	go vet $(PKGS)

# The directories whose .proto files make proto generates, each the root of its import paths:
# the services' APIs, and the stores' private record formats.
PROTO_ROOTS := proto platform/boltdb/internal shippy-service-consignment/store/bolt/internal shippy-service-vessel/store/bolt/internal shippy-service-user/store/bolt/internal shippy-service-notification/store/bolt/internal

.PHONY: proto
proto: ## Regenerate the Go code of the protos in PROTO_ROOTS (protoc-gen-go and protoc-gen-micro, pinned in tools/go.mod)
	@for root in $(PROTO_ROOTS); do (cd tools && go run ./protogen -root ../$$root) || exit 1; done

.PHONY: proto-check
proto-check: ## Fail when the committed generated code differs from what the protos generate
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for root in $(PROTO_ROOTS); do \
		mkdir -p "$$tmp/$$root"; cp -r "$$root/." "$$tmp/$$root"; \
		(cd tools && go run ./protogen -root "$$tmp/$$root"); \
		if ! diff -r -q "$$root" "$$tmp/$$root" >/dev/null; then \
			diff -r "$$root" "$$tmp/$$root" | head -40; \
			echo "proto: generated code of $$root is stale: run 'make proto' and commit"; exit 1; \
		fi; \
	done; echo "proto: generated code is up to date"

.PHONY: tidy
tidy: ## go mod tidy in every module
	@for m in $(MODULES); do (cd $$m && go mod tidy) || exit 1; done

.PHONY: clean
clean: ## Remove bin/ and the local data directory
	rm -rf bin data
