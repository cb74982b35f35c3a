# Containers: one image per program, built FROM scratch from the static binaries in
# bin/ by the local Docker engine, with nothing pulled from any registry, and run by
# docker-compose.yml. `make build` and `make test` use Docker only where an engine
# answers (`docker info`), and say so where none does.

DOCKER     ?= docker
# The tag of the suite's images, shippy/<program>:$(SHIPPY_TAG); docker-compose.yml
# reads it too.
SHIPPY_TAG ?= dev
export SHIPPY_TAG

# The image of the NATS server (the events' broker), FROM scratch from bin/nats-server: part
# of the default stack, so make images builds it with the programs' images.
NATS_IMAGE := shippy/nats:$(SHIPPY_TAG)

# The image of the SMTP sink (mk/smtpsink.mk) that receives the notification service's
# mails in compose: part of the default stack too.
SMTPSINK_IMAGE := shippy/smtpsink:$(SHIPPY_TAG)

# Test images of Consul and FerretDB (a MongoDB wire server), built FROM scratch from
# bin/consul and bin/ferretdb, for where the upstream images of the compose profiles
# cannot be pulled. Their Dockerfiles are in e2e/compose/testdata.
CONSUL_TEST_IMAGE   := shippy/consul:$(SHIPPY_TAG)
FERRETDB_TEST_IMAGE := shippy/ferretdb:$(SHIPPY_TAG)

# The compose command: the docker compose plugin where it exists, else docker-compose
# (1.28 or later). Set COMPOSE to choose.
COMPOSE ?= $(shell if $(DOCKER) compose version >/dev/null 2>&1; then echo "$(DOCKER) compose"; \
	elif command -v docker-compose >/dev/null; then echo docker-compose; fi)

# Shell snippets for the recipes: a test that passes where a Docker engine answers, and
# a check that a compose command was found.
docker_engine := timeout 20 $(DOCKER) info >/dev/null 2>&1
need_compose   = if [[ -z "$(COMPOSE)" ]]; then \
	echo "neither '$(DOCKER) compose' nor docker-compose is installed"; exit 1; fi

# The services' images get /data, owned by the user they run as, from this empty
# directory: a scratch image has no mkdir.
EMPTY_DIR := bin/.empty

# docker_build TAG DOCKERFILE [CONTEXT]: build an image (from the repository root, see
# .dockerignore, or from the tar stream on stdin: CONTEXT -), showing the builder's
# output only when it fails. The image the tag named before, if any, is removed
# unless a container still uses it, so that rebuilds leave no dangling images.
define docker_build
old=$$($(DOCKER) image inspect -f '{{.Id}}' $(1) 2>/dev/null || true); \
out=$$($(DOCKER) build -f $(2) -t $(1) $(or $(3),.) 2>&1) || { echo "$$out"; exit 1; }; \
if [[ -n $$old && $$old != $$($(DOCKER) image inspect -f '{{.Id}}' $(1)) ]]; then \
	$(DOCKER) image rm $$old >/dev/null 2>&1 || true; fi
endef

# docker_build_bin TAG DOCKERFILE FILE...: build an image from a context of FILEs of bin/
# and the Dockerfile alone, so that no other big binary is sent to the engine.
define docker_build_bin
tar -c -C bin $(3) -C $(CURDIR)/$(dir $(2)) $(notdir $(2)) \
	| { $(call docker_build,$(1),$(notdir $(2)),-); }
endef

# make build ends with the images where an engine answers. Make runs prerequisites
# before the recipe, so images builds the binaries itself first, with a build that
# leaves this hook out; build's own recipe then finds the Go build cache warm.
ifneq ($(SHIPPY_SKIP_IMAGES),1)
build: build-images
endif

.PHONY: build-images
build-images: ## Build the images where a Docker engine answers (make build does)
	@if $(docker_engine); then $(MAKE) --no-print-directory images; \
	else echo "images: skipped: no Docker engine answers (docker info failed)"; fi

.PHONY: images
images: ## Build one image per program, and the NATS server's and the SMTP sink's, FROM scratch from bin/ (no registry); print their sizes
	@$(MAKE) --no-print-directory build SHIPPY_SKIP_IMAGES=1
	@$(MAKE) --no-print-directory nats
	@$(MAKE) --no-print-directory smtpsink
	@rm -rf $(EMPTY_DIR) && mkdir -p $(EMPTY_DIR)
	@for p in $(PROGRAMS); do $(call docker_build,shippy/$$p:$(SHIPPY_TAG),$$p/Dockerfile); done
	@$(call docker_build,$(NATS_IMAGE),deploy/nats/Dockerfile)
	@$(call docker_build,$(SMTPSINK_IMAGE),deploy/smtpsink/Dockerfile)
	@printf '%-42s %14s %14s\n' image "image (bytes)" "binary (bytes)"; \
	for p in $(PROGRAMS) nats-server smtpsink; do \
		image=shippy/$$p:$(SHIPPY_TAG); [[ $$p == nats-server ]] && image=$(NATS_IMAGE); \
		size=$$($(DOCKER) image inspect -f '{{.Size}}' $$image); binary=$$(stat -c %s bin/$$p); \
		printf '%-42s %14d %14d\n' $$image $$size $$binary; \
		if [[ $$p == shippy-service-* ]] && ((size > binary + 1048576)); then \
			echo "images: $$image is more than 1 MiB bigger than bin/$$p"; exit 1; \
		fi; \
	done

.PHONY: nats-image
nats-image: bin/nats-server ## Build the image of the NATS server FROM scratch from bin/nats-server (make images does)
	@rm -rf $(EMPTY_DIR) && mkdir -p $(EMPTY_DIR)
	@$(call docker_build,$(NATS_IMAGE),deploy/nats/Dockerfile)
	@echo "built $(NATS_IMAGE)"

.PHONY: consul-image
consul-image: bin/consul ## Build the test image of Consul FROM scratch from bin/consul
	@rm -rf $(EMPTY_DIR) && mkdir -p $(EMPTY_DIR)
	@$(call docker_build_bin,$(CONSUL_TEST_IMAGE),e2e/compose/testdata/consul.Dockerfile,consul .empty)
	@echo "built $(CONSUL_TEST_IMAGE)"

.PHONY: ferretdb-image
ferretdb-image: bin/ferretdb ## Build the test image of FerretDB (MongoDB wire server) FROM scratch from bin/ferretdb
	@rm -rf $(EMPTY_DIR) && mkdir -p $(EMPTY_DIR)
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o bin/loopbackproxy ./testenv/loopbackproxy
	@$(call docker_build_bin,$(FERRETDB_TEST_IMAGE),e2e/compose/testdata/ferretdb.Dockerfile,ferretdb loopbackproxy .empty)
	@echo "built $(FERRETDB_TEST_IMAGE)"

# The compose profiles that MICRO_REGISTRY and MONGO_URI ask for.
COMPOSE_PROFILE_FLAGS = $(strip $(if $(filter consul,$(MICRO_REGISTRY)),--profile consul) \
	$(if $(MONGO_URI),--profile mongo))

# The services of those profiles, which start first: the services register with Consul
# and open MongoDB when they start.
PROFILE_SERVICES = $(strip $(if $(filter consul,$(MICRO_REGISTRY)),consul) $(if $(MONGO_URI),mongo))

.PHONY: up
up: images ## Start the suite in containers (MICRO_REGISTRY=consul adds Consul, MONGO_URI=mongodb://mongo:27017 MongoDB)
	@$(need_compose)
	@if [[ -n "$(PROFILE_SERVICES)" ]]; then \
		$(COMPOSE) $(COMPOSE_PROFILE_FLAGS) up -d $(PROFILE_SERVICES); \
		for svc in $(PROFILE_SERVICES); do \
			id=$$($(COMPOSE) $(COMPOSE_PROFILE_FLAGS) ps -q $$svc); \
			for _ in $$(seq 60); do \
				state=$$($(DOCKER) inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' $$id); \
				[[ $$state == healthy || $$state == running ]] && break; sleep 1; \
			done; echo "$$svc: $$state"; \
		done; \
	fi
	$(COMPOSE) $(COMPOSE_PROFILE_FLAGS) up -d

.PHONY: down
down: ## Stop the suite's containers; the data stays in named volumes (ARGS=-v drops it)
	@$(need_compose)
	$(COMPOSE) --profile consul --profile mongo --profile cli down $(ARGS)

.PHONY: cli
cli: ## Run the CLI's container once: book consignment.json (ARGS="--json list" for others)
	@$(need_compose)
	$(COMPOSE) $(COMPOSE_PROFILE_FLAGS) run --rm shippy-cli-consignment $(ARGS)

# have_image REF: a test that passes where the engine has the image REF. Nothing is
# pulled: the tests send nothing beyond this machine (docker pull first to use upstream).
have_image = $(DOCKER) image inspect $(1) >/dev/null 2>&1

.PHONY: e2e
e2e: ## End-to-end tests on the Docker engine with compose (says so and skips where no engine answers)
	@if ! $(docker_engine); then \
		echo "e2e: skipped: no Docker engine answers (docker info failed)"; exit 0; fi; \
	if [[ -z "$(COMPOSE)" ]]; then \
		echo "e2e: skipped: neither '$(DOCKER) compose' nor docker-compose is installed"; exit 0; fi; \
	$(MAKE) --no-print-directory images; \
	if ! $(call have_image,$(or $(CONSUL_IMAGE),hashicorp/consul:1.21)); then \
		$(MAKE) --no-print-directory consul-image; fi; \
	if ! $(call have_image,$(or $(MONGO_IMAGE),mongo:7)); then \
		$(MAKE) --no-print-directory ferretdb-image; fi; \
	echo "e2e: $(COMPOSE)"; \
	cd e2e && SHIPPY_COMPOSE="$(COMPOSE)" \
		SHIPPY_E2E_CONSUL_IMAGE=$(CONSUL_TEST_IMAGE) SHIPPY_E2E_FERRETDB_IMAGE=$(FERRETDB_TEST_IMAGE) \
		go test -count=1 -timeout 20m -v ./compose/
