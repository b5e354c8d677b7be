# Shared by the tests that run a real Icinga 2 daemon (t_icinga_*.sh):
# sourced after lib.sh.  icinga2 keeps everything in one private folder
# (mktemp -d): the Configuration.*Dir constants are set with -D on the
# command line, so nothing under /etc, /var or /run is read or written.
# The EXIT trap stops icinga2, every plugin it started and the listener,
# and removes the folder.

ICP_LISTENER=$TOP/tests/integration/graphite_listener.py
ICP_DIR='' ICP_IPID='' ICP_LPID=''

# Text as an Icinga 2 string literal.
icp_str() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# A perfdata label as GraphiteWriter::EscapeMetricLabel writes it into the
# metric name (Icinga 2.13).
icp_metric_label() {
	local s=$1
	s=${s// /_}; s=${s//./_}; s=${s//\\/_}; s=${s//\//_}; s=${s//::/.}
	printf '%s' "$s"
}

# True while PID is a process that has not ended (a zombie has ended).
icp_running() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ -n $st && $st != Z* ]]
}

# Pids of every process that icinga2 started: they all inherit the marker
# variable (icinga2's worker, its spawn helper and the plugins, which icinga2
# puts in sessions of their own, so a process group would miss them).
icp_marked() {
	local p
	for p in /proc/[0-9]*; do
		grep -qzxF "NETCHECK_ICP_MARK=$ICP_DIR" "$p/environ" 2>/dev/null &&
			printf '%s\n' "${p#/proc/}"
	done
	return 0
}

# Stop icinga2: SIGTERM (it shuts down cleanly and flushes its log), up to
# 10 s, then SIGKILL for whatever it started that is still there.  Then up
# to 5 s until every one of its processes is gone from the process table
# (icinga2's spawn helper outlives the worker and is reaped by init).
icp_stop_icinga() {
	local i p all
	[ -n "$ICP_IPID" ] || return 0
	all=$(icp_marked)
	kill -TERM "$ICP_IPID" 2>/dev/null || true
	for i in $(seq 1 100); do
		icp_running "$ICP_IPID" || break
		sleep 0.1
	done
	for i in 1 2 3; do
		p=$(icp_marked)
		[ -n "$p" ] || break
		# shellcheck disable=SC2086  # one pid a word
		kill -KILL $p 2>/dev/null || true
		sleep 0.1
	done
	wait "$ICP_IPID" 2>/dev/null || true
	for i in $(seq 1 50); do
		for p in $all; do [ -e "/proc/$p" ] && break; p=; done
		[ -n "$p" ] || break
		sleep 0.1
	done
	ICP_IPID=
}

icp_stop_listener() {
	local i
	[ -n "$ICP_LPID" ] || return 0
	kill -TERM "$ICP_LPID" 2>/dev/null || true
	for i in $(seq 1 50); do
		icp_running "$ICP_LPID" || break
		sleep 0.1
	done
	kill -KILL "$ICP_LPID" 2>/dev/null || true
	wait "$ICP_LPID" 2>/dev/null || true
	ICP_LPID=
}

icp_cleanup() {
	icp_stop_icinga
	icp_stop_listener
	[ -z "$ICP_DIR" ] || rm -rf "$ICP_DIR"
}

# icp_setup: a private folder for icinga2 (ICP_DIR, with etc, data, log,
# cache, spool, run) owned where it must be by the user icinga2 switches to
# (ICP_USER), cleaned up when the test ends.
icp_setup() {
	trap icp_cleanup EXIT
	trap 'exit 143' TERM INT
	ICP_DIR=$(mktemp -d)
	chmod 755 "$ICP_DIR"
	# The user icinga2 switches to: the owner of its package's data folder.
	ICP_USER=$(stat -c %U /var/lib/icinga2 2>/dev/null || echo nagios)
	mkdir "$ICP_DIR/etc" "$ICP_DIR/data" "$ICP_DIR/log" "$ICP_DIR/cache" "$ICP_DIR/spool" \
		"$ICP_DIR/run"
	chown "$ICP_USER:" "$ICP_DIR/data" "$ICP_DIR/log" "$ICP_DIR/cache" "$ICP_DIR/spool" \
		"$ICP_DIR/run"
}

# icp_listener: the Graphite listener, writing to ICP_DIR/graphite.txt; its
# port in ICP_PORT.
icp_listener() {
	local i
	python3 "$ICP_LISTENER" "$ICP_DIR/graphite.txt" 100 >"$ICP_DIR/listener.port" \
		2>"$ICP_DIR/listener.err" &
	ICP_LPID=$!
	for i in $(seq 1 100); do
		ICP_PORT=$(head -n 1 "$ICP_DIR/listener.port" 2>/dev/null || true)
		[ -z "$ICP_PORT" ] || break
		icp_running "$ICP_LPID" || break
		sleep 0.1
	done
	[[ $ICP_PORT =~ ^[0-9]+$ ]] ||
		fail "the Graphite listener did not start: $(cat "$ICP_DIR/listener.err")"
}

# icp_start_icinga: icinga2 on ICP_DIR/etc/icinga2.conf, in the background
# (ICP_IPID).
icp_start_icinga() {
	NETCHECK_ICP_MARK=$ICP_DIR icinga2 daemon -c "$ICP_DIR/etc/icinga2.conf" \
		-DConfiguration.ConfigDir="$ICP_DIR/etc" -DConfiguration.DataDir="$ICP_DIR/data" \
		-DConfiguration.LogDir="$ICP_DIR/log" -DConfiguration.CacheDir="$ICP_DIR/cache" \
		-DConfiguration.SpoolDir="$ICP_DIR/spool" -DConfiguration.InitRunDir="$ICP_DIR/run" \
		</dev/null >"$ICP_DIR/icinga2.out" 2>&1 &
	ICP_IPID=$!
}

# icp_results HOST SERVICE [STATE]: how many results of SERVICE on HOST
# (with STATE, a number, if given) reached the Graphite listener.
icp_results() {
	local host=${1//./_} re
	re="^icinga2\.$host\.services\.$2\.[a-z_0-9]*\.metadata\.state ${3:-[0-9]+}(\.0+)? "
	grep -cE "$re" "$ICP_DIR/graphite.txt" 2>/dev/null || true
}

# icp_wait_results HOST MIN_RESULTS MIN_OK SERVICE...: waits (up to 40 s)
# until every SERVICE of HOST has MIN_RESULTS results at the listener,
# MIN_OK of them OK; fails with icinga2's last words if not.
icp_wait_results() {
	local host=$1 all=$2 ok=$3 i svc waiting
	shift 3
	for i in $(seq 1 80); do
		waiting=
		for svc in "$@"; do
			[ "$(icp_results "$host" "$svc")" -ge "$all" ] &&
				[ "$(icp_results "$host" "$svc" 0)" -ge "$ok" ] || waiting+=" $svc"
		done
		[ -n "$waiting" ] || return 0
		icp_running "$ICP_IPID" || break
		sleep 0.5
	done
	complain "not $all results ($ok OK) at the Graphite listener within 40 s for:$waiting"
	icp_running "$ICP_IPID" || complain "icinga2 has ended"
	complain "icinga2 output (last lines):"
	tail -n 20 "$ICP_DIR/icinga2.out" | sed 's/^/      /' >&2
	fail "icinga2 with GraphiteWriter did not deliver every service's results"
}

# icp_run_icinga SERVICE...: icinga2 on ICP_DIR/etc/icinga2.conf, until every
# SERVICE of the host "lab" has two results at the listener (GraphiteWriter
# handles one result after the other, metadata then perfdata, so the first
# result's perfdata, and any warning about it, is done by then; usually 2-3
# s, up to 13 s when its first connect loses a race inside icinga2 2.13 at
# start and waits for its 10 s reconnect timer); then stops it (a clean
# stop writes out the log and the state file).
icp_run_icinga() {
	icp_start_icinga
	icp_wait_results lab 2 0 "$@"
	icp_stop_icinga
}

# icp_state_results: a "service<TAB>state<TAB>command<TAB>output | perfdata"
# line for each service's last result, from the state file icinga2 wrote
# in ICP_DIR when it stopped.
icp_state_results() {
	python3 - "$ICP_DIR/data" <<'EOF'
import glob, json, os, sys
# The state file is a sequence of netstrings ("LEN:JSON,"), one an object.
def netstrings(data):
    i = 0
    while i < len(data):
        colon = data.index(b":", i)
        n = int(data[i:colon])
        yield data[colon + 1:colon + 1 + n]
        i = colon + 1 + n + 1
for path in glob.glob(os.path.join(sys.argv[1], "**", "icinga2.state"), recursive=True):
    with open(path, "rb") as f:
        data = f.read()
    for item in netstrings(data):
        try:
            obj = json.loads(item)
        except ValueError:
            continue
        if obj.get("type") != "Service":
            continue
        cr = obj.get("update", {}).get("last_check_result") or {}
        if not cr:
            continue
        name = obj["name"].split("!", 1)[-1]
        cmd = cr.get("command") or []
        if isinstance(cmd, list):
            cmd = " ".join(cmd)
        out = (cr.get("output") or "").split("\n")[0]
        perf = " ".join(str(p) for p in (cr.get("performance_data") or []))
        print("\t".join([name, str(int(cr.get("state", -1))), cmd, out + " | " + perf]))
EOF
}
