# Benchmarks: bench/cmd/shippy-bench starts the built services in a private network namespace
# (mDNS stays on its loopback), measures them against plain gRPC and writes BENCHMARKS.md.
# It builds nothing itself: these targets build the programs first and pass their directory.
#
#   make bench                               32 callers, 10 s per measurement (the targets' setting)
#   make bench BENCH_FLAGS="-duration 30s"   any shippy-bench flag; bin/shippy-bench -h lists them
#   make bench-profile                       CPU profiles of the bench and of both services under load
BENCH_FLAGS       ?=
BENCH_PROFILE_DIR ?= data/bench/profiles
BENCH_BIN         := bin/shippy-bench
# The images whose sizes are reported, as mk/docker.mk tags them (SHIPPY_TAG is set there,
# hence = rather than :=).
BENCH_IMAGES       = $(foreach p,$(PROGRAMS),shippy/$(p):$(or $(SHIPPY_TAG),dev))
# Profiling builds of the services: bench/pprofhook/hook.go added to each main package through
# go build -overlay (the services' source is not touched), so they serve pprof on request. The
# user service (which signs the bench in and takes no call during the loads) and the CLI are
# built there as they are.
BENCH_PROFILE_BIN := bin/bench-profile

.PHONY: bench
bench: build ## Measure end-to-end creates, one go-micro hop, start-up, CLI create and memory vs plain gRPC, signed in; regenerate BENCHMARKS.md
	@CGO_ENABLED=0 go build -trimpath -o $(BENCH_BIN) ./bench/cmd/shippy-bench
	$(BENCH_BIN) -bin bin -images "$(BENCH_IMAGES)" -out BENCHMARKS.md $(BENCH_FLAGS)

.PHONY: bench-profile
bench-profile: ## Run the bench with pprof-enabled builds of the services; CPU profiles to BENCH_PROFILE_DIR (BENCHMARKS.md untouched)
	@mkdir -p $(BENCH_PROFILE_BIN) $(BENCH_PROFILE_DIR)
	@CGO_ENABLED=0 go build -trimpath -o $(BENCH_BIN) ./bench/cmd/shippy-bench
	@for p in shippy-service-vessel shippy-service-consignment; do \
		printf '{"Replace":{"%s":"%s"}}\n' "$(CURDIR)/$$p/zz_bench_pprof.go" "$(CURDIR)/bench/pprofhook/hook.go" \
			>$(BENCH_PROFILE_BIN)/$$p.overlay.json; \
		CGO_ENABLED=0 go build -trimpath -tags benchpprof -overlay $(BENCH_PROFILE_BIN)/$$p.overlay.json \
			-o $(BENCH_PROFILE_BIN)/$$p ./$$p || exit 1; \
	done
	@for p in shippy-service-user shippy-cli-consignment; do \
		CGO_ENABLED=0 go build -trimpath -o $(BENCH_PROFILE_BIN)/$$p ./$$p || exit 1; \
	done
	$(BENCH_BIN) -bin $(BENCH_PROFILE_BIN) -images "" -profile-dir $(BENCH_PROFILE_DIR) -out "" $(BENCH_FLAGS)
	@for f in $(BENCH_PROFILE_DIR)/*-e2e*.pprof; do \
		[ -f "$$f" ] || continue; echo "== $$f"; go tool pprof -top -nodecount=25 "$$f" 2>/dev/null | sed -n '1,35p'; \
	done
