#!/usr/bin/env bash
# dev.sh [COMMAND]: the running suite to try by hand (make dev). Starts the
# services of the suite from bin/ on their embedded defaults, as make run does
# (in a private network namespace with the mDNS registry; see suite.sh), waits
# until they are discoverable, then runs an interactive shell there, in the
# repository root with bin/ on PATH, or, given COMMAND, bash -c COMMAND. When
# that ends, it stops every service and exits with its status. A NATS server
# with JetStream starts first, as with make run, and NATS_URL names it in the
# shell too; so does the SMTP sink of the notification service's mails, whose
# inbox is at http://127.0.0.1:8025/ there (see suite.sh).
#
# Every service and the shell inherit the caller's environment, so any setting
# of the README can be tried: LOG_LEVEL=debug METRICS_ADDRESS=127.0.0.1:9100
# make dev. The services' logs go to $DATA_DIR/logs (default data/logs). The
# shell starts signed out; the CLI keeps its token in $DATA_DIR/config (see
# suite_cli_config).
set -euo pipefail
cd "$(dirname "$0")/.."
tag=dev
source scripts/suite.sh

suite_isolate "$0" "$@"
suite_cli_config
suite_start
suite_wait
export PATH=$PWD/bin:$PATH
# The shell starts signed out, whatever an earlier make run left.
shippy-cli-consignment logout >/dev/null
status=0
if (($#)); then
	bash -c "$1" || status=$?
else
	echo "$tag: the suite is up, and you are signed out; sign up and in with" >&2
	echo "$tag:   shippy-cli-consignment user create --name NAME --email EMAIL" >&2
	echo "$tag:   shippy-cli-consignment login --email EMAIL" >&2
	echo "$tag: then try: shippy-cli-consignment list (exit the shell to stop it)" >&2
	shell=${SHELL:-bash}
	if [[ ${shell##*/} == bash ]]; then
		# After ~/.bashrc, which may put other directories before bin/, and
		# with a prompt that says where the shell is.
		"$shell" --rcfile <(printf '%s\n' '[[ -f ~/.bashrc ]] && source ~/.bashrc' \
			"PATH=${PWD@Q}/bin:\$PATH" 'PS1="(shippy dev) $PS1"') -i || status=$?
	else
		"$shell" -i || status=$?
	fi
fi
exit "$status"
