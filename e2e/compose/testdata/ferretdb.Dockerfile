# A test image of a MongoDB wire server for where no MongoDB image can be
# pulled: FerretDB with its SQLite backend, the test server `make ferretdb`
# builds into bin/ferretdb (testenv/ferretdb), FROM scratch. Its build
# context is bin/ferretdb, bin/loopbackproxy and the empty bin/.empty alone
# (`make ferretdb-image`). It serves where mongod does in docker-compose.yml's
# mongo service, port 27017, and keeps its data where mongod does, /data/db.
FROM scratch

COPY --chown=65532:65532 .empty/ /data/db/
COPY ferretdb loopbackproxy /

USER 65532:65532
EXPOSE 27017
# bin/ferretdb listens on loopback only, by design: loopbackproxy (see
# testenv/loopbackproxy) forwards the compose network's port 27017 to
# it, and passes SIGTERM on.
ENTRYPOINT ["/loopbackproxy", "-listen", ":27017", "-to", "127.0.0.1:27018", "--", \
    "/ferretdb", "-listen-addr", "127.0.0.1:27018", "-data-dir", "/data/db"]
