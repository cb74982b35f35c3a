# suite.sh: sourced by run-local.sh (make run) and dev.sh (make dev), from the
# repository root, after setting tag (the prefix of their messages). It starts
# the services of the suite from bin/, waits until they are discoverable and
# stops them again, so that both scripts start the same suite the same way.
#
# SHIPPY_SERVICES names the services, in start order (make passes its SERVICES
# list: a new service joins by its name there). Each must be a program in bin/
# with a "healthcheck" subcommand, as every service's image needs anyway.
#
# Every service inherits the caller's environment, but for the settings that
# must differ per service:
#   DATA_DIR              $DATA_DIR/<name> (default data/<name>), <name> being the
#                         program's name without "shippy-service-"; its log goes
#                         to $DATA_DIR/logs/<name>.log
#   MICRO_SERVER_ADDRESS  the first service listens on it (default 127.0.0.1:50051),
#                         the next one on the next port, and so on: a fixed port
#                         each, so that the wait can ask each one's health
#   METRICS_ADDRESS       the same when set with a fixed port; port 0 (any free
#                         port) and unset (no metrics) stay as they are
#
# Before the services it starts the broker of their events: bin/nats-server with
# JetStream on 127.0.0.1:4222, its store in $DATA_DIR/nats and its log in
# $DATA_DIR/logs/nats.log, and exports NATS_URL=nats://127.0.0.1:4222 to the
# services and to what the script runs after them. When the caller sets
# NATS_URL, it starts none and the services use that one.
#
# Then the mail server of the notification service: bin/smtpsink, SMTP on
# 127.0.0.1:1025 and its inbox on http://127.0.0.1:8025/, each mail also written
# to $DATA_DIR/mail as a .eml file (readable from outside the namespace), its log
# in $DATA_DIR/logs/smtpsink.log; it exports SMTP_ADDRESS=127.0.0.1:1025. When the
# caller sets SMTP_ADDRESS, it starts none and the mails go there.

# suite_isolate SCRIPT [ARG...]: with the mDNS registry (the default), re-runs
# SCRIPT with ARGs in a new network and PID namespace whose only interface is
# loopback, so that discovery traffic never leaves the machine and everything
# started there ends with SCRIPT. Where no namespace can be made (no root and
# no user namespaces), it says so and returns: the suite runs on the host
# network.
suite_isolate() {
	if [[ ${SHIPPY_SUITE_NETNS:-} == 1 ]]; then
		# Re-run by the exec below. What runs in the namespace may make its
		# own (make run, the mDNS tests), as it would outside.
		unset SHIPPY_SUITE_NETNS
		return
	fi
	# SHIPPY_NETNS=1: inside a namespace made by a test (testenv/netns).
	[[ ${MICRO_REGISTRY:-mdns} == mdns && ${SHIPPY_NETNS:-} != 1 ]] || return 0
	if unshare --net --map-root-user true 2>/dev/null && command -v ip >/dev/null; then
		# SCRIPT is PID 1 of the new PID namespace: when it exits, whatever
		# it started is killed.
		export SHIPPY_SUITE_NETNS=1
		exec unshare --net --pid --mount-proc --map-root-user --fork --kill-child -- bash -c '
			ip link set lo up
			ip link set lo multicast on
			ip route add 224.0.0.0/4 dev lo 2>/dev/null || true
			exec "$@"' suite "$@"
	fi
	echo "$tag: no private network namespace here; mDNS runs on the host network" >&2
}

# suite_address ADDRESS N: ADDRESS (host:port) with its port raised by N;
# port 0 stays 0.
suite_address() {
	local host=${1%:*} port=${1##*:}
	if [[ $1 != *:* || ! $port =~ ^[0-9]+$ ]]; then
		echo "$tag: \"$1\" is not host:port" >&2
		return 1
	fi
	if ((port == 0)); then
		echo "$1"
	else
		echo "$host:$((port + $2))"
	fi
}

# The client port of the NATS server suite_nats starts.
suite_nats_port=4222

# The SMTP and inbox (HTTP) ports of the SMTP sink suite_smtp starts.
suite_smtp_port=1025 suite_inbox_port=8025

# suite_start: starts the NATS server (suite_nats), then every service of
# SHIPPY_SERVICES in the background, and stops them all (suite_stop) when the
# calling script exits.
suite_start() {
	: "${SHIPPY_SERVICES:?names the services to start, in order (make passes its SERVICES)}"
	local data=${DATA_DIR:-data} server=${MICRO_SERVER_ADDRESS:-127.0.0.1:50051}
	if [[ ${server##*:} == 0 ]]; then
		echo "$tag: MICRO_SERVER_ADDRESS=$server: give the first service a fixed port (the next get the next ports)" >&2
		return 1
	fi
	mkdir -p "$data/logs"
	suite_progs=() suite_pids=() suite_addrs=() suite_logs=() suite_nats_pid= suite_smtp_pid=
	trap suite_stop EXIT
	suite_nats "$data"
	suite_smtp "$data"
	local i=0 prog name addr metrics vars
	for prog in $SHIPPY_SERVICES; do
		name=${prog#shippy-service-}
		mkdir -p "$data/$name"
		addr=$(suite_address "$server" $i)
		vars=(DATA_DIR="$data/$name" MICRO_SERVER_ADDRESS="$addr")
		metrics=
		if [[ -n ${METRICS_ADDRESS:-} ]]; then
			metrics=$(suite_address "$METRICS_ADDRESS" $i)
			vars+=(METRICS_ADDRESS="$metrics")
		fi
		env "${vars[@]}" "bin/$prog" >"$data/logs/$name.log" 2>&1 &
		suite_pids+=($!)
		suite_progs+=("$prog")
		suite_addrs+=("$addr")
		suite_logs+=("$data/logs/$name.log")
		echo "$tag: $prog: gRPC on $addr${metrics:+, metrics on $metrics}, log in $data/logs/$name.log" >&2
		i=$((i + 1))
	done
}

# suite_nats DATA: unless the caller set NATS_URL, starts bin/nats-server with
# JetStream on 127.0.0.1:$suite_nats_port over DATA/nats, waits until it
# greets a client with JetStream on (at most 10 s), and exports NATS_URL.
suite_nats() {
	if [[ -n ${NATS_URL:-} ]]; then
		echo "$tag: NATS_URL=$NATS_URL is set: the services use that NATS server; none is started" >&2
		return
	fi
	local data=$1 deadline=$((SECONDS + 10))
	mkdir -p "$data/nats"
	bin/nats-server -a 127.0.0.1 -p "$suite_nats_port" -js -sd "$data/nats" >"$data/logs/nats.log" 2>&1 &
	suite_nats_pid=$!
	until suite_nats_ready "$suite_nats_port"; do
		if ! kill -0 "$suite_nats_pid" 2>/dev/null; then
			suite_nats_pid=
			echo "$tag: nats-server exited before it answered; the end of $data/logs/nats.log:" >&2
			tail -n 20 "$data/logs/nats.log" >&2
			return 1
		fi
		if ((SECONDS >= deadline)); then
			echo "$tag: nats-server does not answer on 127.0.0.1:$suite_nats_port within 10 s; see $data/logs/nats.log" >&2
			return 1
		fi
		sleep 0.1
	done
	export NATS_URL=nats://127.0.0.1:$suite_nats_port
	echo "$tag: nats-server: JetStream on $NATS_URL, store in $data/nats, log in $data/logs/nats.log" >&2
}

# suite_smtp DATA: unless the caller set SMTP_ADDRESS, starts bin/smtpsink on
# 127.0.0.1:$suite_smtp_port (inbox on $suite_inbox_port) writing mails to
# DATA/mail, waits until it greets a client (at most 10 s), and exports
# SMTP_ADDRESS.
suite_smtp() {
	if [[ -n ${SMTP_ADDRESS:-} ]]; then
		echo "$tag: SMTP_ADDRESS=$SMTP_ADDRESS is set: the notification service mails there; no SMTP sink is started" >&2
		return
	fi
	local data=$1 deadline=$((SECONDS + 10))
	bin/smtpsink -smtp "127.0.0.1:$suite_smtp_port" -http "127.0.0.1:$suite_inbox_port" -dir "$data/mail" \
		>"$data/logs/smtpsink.log" 2>&1 &
	suite_smtp_pid=$!
	until (exec 3<>"/dev/tcp/127.0.0.1/$suite_smtp_port" && IFS= read -r -t 1 greeting <&3 && [[ $greeting == 220* ]]) 2>/dev/null; do
		if ! kill -0 "$suite_smtp_pid" 2>/dev/null || ((SECONDS >= deadline)); then
			echo "$tag: smtpsink does not answer on 127.0.0.1:$suite_smtp_port; the end of $data/logs/smtpsink.log:" >&2
			tail -n 20 "$data/logs/smtpsink.log" >&2
			return 1
		fi
		sleep 0.1
	done
	export SMTP_ADDRESS=127.0.0.1:$suite_smtp_port
	echo "$tag: smtpsink: SMTP on $SMTP_ADDRESS; the mails are at http://127.0.0.1:$suite_inbox_port/ (from inside the suite's network: curl it in make dev) and in $data/mail" >&2
}

# suite_nats_ready PORT: reports whether a NATS server with JetStream answers
# on 127.0.0.1:PORT: it greets every client with an INFO line that says so.
suite_nats_ready() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 1 info <&3 &&
			[[ $info == INFO* && $info == *'"jetstream":true'* ]]
	) 2>/dev/null
}

# suite_wait [TIMEOUT]: waits until every service answers its healthcheck
# SERVING, which a service does only once it has registered: with mDNS, it is
# discoverable then. (With Consul, a registration that failed is only logged,
# and tried again every MICRO_REGISTER_INTERVAL.) It fails, with the end of the
# service's log, when one exits first or is not serving within TIMEOUT seconds
# (default 30).
suite_wait() {
	local i deadline=$((SECONDS + ${1:-30}))
	for i in "${!suite_pids[@]}"; do
		until MICRO_SERVER_ADDRESS=${suite_addrs[i]} "bin/${suite_progs[i]}" healthcheck >/dev/null 2>&1; do
			if ! kill -0 "${suite_pids[i]}" 2>/dev/null; then
				echo "$tag: ${suite_progs[i]} exited before it was discoverable; the end of ${suite_logs[i]}:" >&2
				tail -n 20 "${suite_logs[i]}" >&2
				return 1
			fi
			if ((SECONDS >= deadline)); then
				echo "$tag: ${suite_progs[i]} is not serving within ${1:-30} s; see ${suite_logs[i]}" >&2
				return 1
			fi
			sleep 0.1
		done
	done
}

# suite_stop: stops the services in reverse start order (a service before
# those it calls), then the SMTP sink and the NATS server it started, each with SIGTERM, and
# says which did not exit 0. It keeps the exit status of the script.
suite_stop() {
	local i status
	for ((i = ${#suite_pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${suite_pids[i]}" 2>/dev/null || true
		status=0
		wait "${suite_pids[i]}" 2>/dev/null || status=$?
		if ((status != 0)); then
			echo "$tag: ${suite_progs[i]} exited with status $status; see ${suite_logs[i]}" >&2
		fi
	done
	if [[ -n ${suite_smtp_pid:-} ]]; then
		kill -TERM "$suite_smtp_pid" 2>/dev/null || true
		status=0
		wait "$suite_smtp_pid" 2>/dev/null || status=$?
		if ((status != 0)); then
			echo "$tag: smtpsink exited with status $status; see ${DATA_DIR:-data}/logs/smtpsink.log" >&2
		fi
	fi
	if [[ -n ${suite_nats_pid:-} ]]; then
		kill -TERM "$suite_nats_pid" 2>/dev/null || true
		status=0
		wait "$suite_nats_pid" 2>/dev/null || status=$?
		if ((status != 0)); then
			echo "$tag: nats-server exited with status $status; see ${DATA_DIR:-data}/logs/nats.log" >&2
		fi
	fi
}

# suite_cli_config: points the CLI's config directory, where login keeps its
# token, into the data directory ($DATA_DIR/config, default data/config),
# unless the caller set XDG_CONFIG_HOME: a local suite's token never
# replaces the user's own.
suite_cli_config() {
	if [[ -z ${XDG_CONFIG_HOME:-} ]]; then
		local data=${DATA_DIR:-data}
		[[ $data == /* ]] || data=$PWD/$data
		export XDG_CONFIG_HOME=$data/config
	fi
	mkdir -p "$XDG_CONFIG_HOME"
}
