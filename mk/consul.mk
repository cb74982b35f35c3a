# A real Consul agent for the registry tests, built from the Go module proxy. The module in
# deploy/consul pins it as a tool and is not in go.work, so Consul's dependencies never
# change the workspace's versions. A cold build takes minutes: it runs only when bin/consul
# is missing or older than the pin, and the binary stays out of the repository (bin/).
# (The tests read CONSUL_BIN from the environment: no make variable of that name here.)
.PHONY: consul
consul: bin/consul ## Build the pinned Consul agent into bin/consul (once; slow when cold)

bin/consul: deploy/consul/go.mod
	@mkdir -p $(@D)
	cd deploy/consul && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
		-o $(CURDIR)/$@.tmp github.com/hashicorp/consul
	@mv $@.tmp $@
	@$@ version | sed -n 1p
