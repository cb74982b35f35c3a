#!/usr/bin/env bash
# run-local.sh: the main job on one machine. Starts the vessel and consignment
# services from bin/ on their embedded defaults, waits until they are
# discoverable, books shippy-cli-consignment/consignment.json with the CLI
# (create, then list), and stops the services again.
#
# With the default mDNS registry it first moves itself into a private network
# namespace (loopback only), so discovery traffic never leaves the machine;
# where no namespace can be made (no root and no user namespaces) it runs on
# the host network and says so. Data is kept in ./data between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${MICRO_REGISTRY:-mdns} == mdns && ${SHIPPY_NETNS:-} != 1 ]]; then
	if unshare --net --map-root-user true 2>/dev/null && command -v ip >/dev/null; then
		export SHIPPY_NETNS=1
		exec unshare --net --pid --mount-proc --map-root-user --fork --kill-child -- bash -c '
			ip link set lo up
			ip link set lo multicast on
			ip route add 224.0.0.0/4 dev lo 2>/dev/null || true
			exec "$@"' run-local "$0" "$@"
	fi
	echo "run: no private network namespace here; mDNS runs on the host network" >&2
fi

export MICRO_SERVER_ADDRESS=${MICRO_SERVER_ADDRESS:-127.0.0.1:0}
data=${DATA_DIR:-data}
mkdir -p "$data/vessel" "$data/consignment" "$data/logs"

pids=()
stop() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT

DATA_DIR=$data/vessel bin/shippy-service-vessel >"$data/logs/vessel.log" 2>&1 &
pids+=($!)
DATA_DIR=$data/consignment bin/shippy-service-consignment >"$data/logs/consignment.log" 2>&1 &
pids+=($!)
echo "run: services started (logs in $data/logs/); waiting until they are discoverable"

cli=bin/shippy-cli-consignment
for _ in $(seq 1 50); do
	if $cli list >/dev/null 2>&1; then break; fi
	sleep 0.2
done

(cd shippy-cli-consignment && "../$cli" "$@")
