# A MongoDB wire server for the storage tests: FerretDB (SQLite backend) from the Go module
# proxy, wrapped by testenv/ferretdb. That module is not in go.work, so FerretDB's dependencies
# never change the versions the workspace's programs build with, and no service links it. It
# builds only when bin/ferretdb is missing or older than its pin; tests find it through
# testenv/mongotest (or use SHIPPY_TEST_MONGO_URI, a real MongoDB, instead).
FERRETDB_BIN := bin/ferretdb

.PHONY: ferretdb
ferretdb: $(FERRETDB_BIN) ## Build the pinned FerretDB test server into bin/ferretdb (once)

$(FERRETDB_BIN): testenv/ferretdb/go.mod testenv/ferretdb/go.sum testenv/ferretdb/main.go
	@mkdir -p $(@D)
	cd testenv/ferretdb && GOWORK=off CGO_ENABLED=0 go build -trimpath -o $(CURDIR)/$@.tmp .
	@mv $@.tmp $@
