# A test image of a MongoDB wire server for where no MongoDB image can be
# pulled: FerretDB with its SQLite backend, the test server `make ferretdb`
# builds into bin/ferretdb (testenv/ferretdb), FROM scratch. Its build
# context is bin/ferretdb and the empty bin/.empty alone
# (`make ferretdb-image`). It listens where mongod does in docker-compose.yml's
# mongo service, 27017, and keeps its data where mongod does, /data/db.
FROM scratch

COPY --chown=65532:65532 .empty/ /data/db/
COPY ferretdb /ferretdb

USER 65532:65532
EXPOSE 27017
ENTRYPOINT ["/ferretdb", "-listen-addr", "0.0.0.0:27017", "-data-dir", "/data/db"]
