# promtool, Prometheus's command-line tool, for its metrics linter: e2e/promtool_test.go runs
# `promtool check metrics` on every service's /metrics. Pinned as a tool by testenv/promtool,
# a module outside go.work (Prometheus's dependency graph is huge: it must never change the
# workspace's versions). A cold build takes about seven minutes on 2 cores; make rebuilds only
# when bin/promtool is missing or older than the pin.
.PHONY: promtool
promtool: bin/promtool ## Build the pinned promtool (Prometheus's linter) into bin/promtool (once; slow when cold)

bin/promtool: testenv/promtool/go.mod testenv/promtool/go.sum
	@mkdir -p $(@D)
	cd testenv/promtool && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
		-o $(CURDIR)/$@.tmp github.com/prometheus/prometheus/cmd/promtool
	@mv $@.tmp $@
	@go version -m $@ | awk '$$1 == "mod" {print "built $@ from", $$2, $$3}'
