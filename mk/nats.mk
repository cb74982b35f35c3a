# The NATS server (with JetStream) that carries the suite's events, built from the Go module
# proxy like the Consul agent (mk/consul.mk): deploy/nats pins it as a tool and is not in
# go.work, so its dependencies never change the workspace's versions. make run, make dev,
# the tests (testenv/natstest, which reads NATS_SERVER_BIN) and the nats image use
# bin/nats-server. It builds only when missing or older than the pin.
NATS_SERVER_BIN := bin/nats-server

.PHONY: nats
nats: $(NATS_SERVER_BIN) ## Build the pinned NATS server (JetStream) into bin/nats-server (once)

$(NATS_SERVER_BIN): deploy/nats/go.mod
	@mkdir -p $(@D)
	cd deploy/nats && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
		-o $(CURDIR)/$@.tmp github.com/nats-io/nats-server/v2
	@mv $@.tmp $@
	@$@ --version
