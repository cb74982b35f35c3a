#!/usr/bin/env bash
# run-local.sh [CLI ARG...]: the main job on one machine (make run). Starts the
# services of the suite from bin/ on their embedded defaults, waits until they
# are discoverable, signs in as the demo customer (registering it the first
# time), books shippy-cli-consignment/consignment.json with the CLI (create,
# then list; ARGs instead, when given), and stops the services again. A NATS
# server with JetStream, the broker of their events, starts before them and
# stops after them, unless NATS_URL names one; so does an SMTP sink that
# receives the notification service's mails (data/mail), unless SMTP_ADDRESS
# names a mail server.
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

# The demo customer's account, made by the first run and kept in the data
# directory like everything else. Its password is no secret: it guards
# nothing but this machine's demo data.
demo_email=demo@shippy.example
demo_password=shippy-demo

suite_isolate "$0" "$@"
suite_cli_config
suite_start
suite_wait
cli=$PWD/bin/shippy-cli-consignment
if ! "$cli" login --email "$demo_email" <<<"$demo_password" >/dev/null 2>&1; then
	"$cli" user create --name "Demo Customer" --email "$demo_email" <<<"$demo_password" >/dev/null
	"$cli" login --email "$demo_email" <<<"$demo_password" >/dev/null
fi
echo "$tag: signed in as $demo_email (the demo customer; token in $XDG_CONFIG_HOME/shippy/token)" >&2
(cd shippy-cli-consignment && "$cli" "$@")
