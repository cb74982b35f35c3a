#!/usr/bin/env bash
# run-local.sh [CLI ARG...]: the main job on one machine (make run). Starts the
# services of the suite from bin/ on their embedded defaults, waits until they
# are discoverable, books shippy-cli-consignment/consignment.json with the CLI
# (create, then list; ARGs instead, when given), and stops the services again.
#
# With the default mDNS registry it first moves itself into a private network
# namespace (loopback only), so discovery traffic never leaves the machine;
# where no namespace can be made (no root and no user namespaces) it runs on
# the host network and says so. Data is kept in ./data between runs, logs in
# ./data/logs. scripts/suite.sh says which services and how.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=run
source scripts/suite.sh

suite_isolate "$0" "$@"
suite_start
suite_wait
(cd shippy-cli-consignment && ../bin/shippy-cli-consignment "$@")
