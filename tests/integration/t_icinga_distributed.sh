# Distributed Icinga 2: a master schedules our checks, an agent runs them.
#
# Two network namespaces of this test's own (ncdist-PID-master and
# ncdist-PID-agent), joined by one veth pair, 198.18.250.1/30 (master) and
# 198.18.250.2/30 (agent), with no link to the root namespace.  The lab's
# real servers (tests/lab/up: Postfix, Dovecot, NSD) run inside the agent
# namespace on its loopback, so only the agent can reach them.  Each node is
# a real icinga2 daemon with its own private folders (-DConfiguration.*Dir);
# their certificates come from `icinga2 pki` (a CA, then a key, a CSR and
# a signed certificate per node), made here.  The master holds the Host and
# Service objects, with command_endpoint set to the agent, and our shipped
# CheckCommands (nagios-config/check_*.conf); the agent holds the same
# CheckCommands with its PluginDir set to checks/, and accepts commands.
# The master's REST API then tells, for every service, the state, output,
# perfdata, command line and check source it received; each must be what
# the same plugin says when run by hand inside the agent's namespace.
# docs/distributed.md shows this configuration.
#
# Nothing goes to /etc/icinga2, /var/lib/icinga2 and the like.  Traffic
# stays on the namespaces' loopbacks and the veth pair.  The EXIT trap stops
# both daemons (and whatever they started), stops the lab, removes the
# namespaces, their /etc/netns folders and the test's folder.

# shellcheck shell=bash
# shellcheck disable=SC2154  # rc, out, err: set by run (lib.sh)
. "$TOP/tests/integration/icinga.sh"

ICD_MASTER=master.example.com # endpoint names: the certificates' CNs
ICD_AGENT=agent.example.com
ICD_MASTER_ADDR=198.18.250.1
ICD_AGENT_ADDR=198.18.250.2
ICD_API_PORT=5665
ICD_DIR='' ICD_MASTER_NS='' ICD_AGENT_NS='' ICD_LAB_STARTED=''
ICD_MASTER_PID='' ICD_AGENT_PID='' ICD_USER='' ICD_HURRY=''
ICD_DEFS=() ICD_LAB_ENV=()

# icd_in NS CMD...: CMD inside namespace NS (bounded).
icd_in() {
	local ns=$1
	shift
	timeout -k 5 60 ip netns exec "$ns" "$@"
}

# icd_lab_env: ICD_LAB_ENV, the environment under which the agent
# namespace's lab is started and stopped: its own folder, record and ports,
# and a netlab id that names no chain, so that tests/lab/down stops this
# lab only.
icd_lab_env() {
	ICD_LAB_ENV=("NETCHECK_LAB_DIR=$ICD_DIR/lab" "TMPDIR=$ICD_DIR/labtmp"
		"NETCHECK_LAB_PORT_BASE=32000" "NETLAB_ID=ncd$$")
}

# Pids of every process in the test's namespaces: both icinga2 daemons and
# all they started (workers, spawn helpers, plugins), and the lab's servers.
icd_ns_pids() {
	local ns
	for ns in $ICD_MASTER_NS $ICD_AGENT_NS; do ip netns pids "$ns" 2>/dev/null || true; done
}

# icd_wait_gone TENTHS PID...: true once none of PID runs (zombies have
# ended), checked every 0.1 s up to TENTHS times (or until a SIGTERM).
icd_wait_gone() {
	local tenths=$1 p alive
	shift
	for _ in $(seq 1 "$tenths"); do
		[ -z "$ICD_HURRY" ] || return 1
		alive=
		for p in "$@"; do icp_running "$p" && { alive=1; break; }; done
		[ -n "$alive" ] || return 0
		sleep 0.1
	done
	return 1
}

# icd_stop_daemons: SIGTERM to both icinga2 daemons (the processes started
# here: each passes it on to its worker, which shuts down cleanly in about
# 0.5 s; a worker ignores a SIGTERM that does not come from its daemon, and
# two at once merge into the one it ignores, so it gets none from here),
# up to 10 s until they have ended.
icd_stop_daemons() {
	local pids="$ICD_MASTER_PID $ICD_AGENT_PID"
	[ -n "${pids// /}" ] || return 0
	# shellcheck disable=SC2086  # one pid a word
	kill -TERM $pids 2>/dev/null || true
	# shellcheck disable=SC2086
	icd_wait_gone 100 $pids || true
}

# icd_kill_rest: SIGKILL to whatever is still in the namespaces, up to 2 s
# until it is gone; the daemons started here are reaped.
icd_kill_rest() {
	local pids
	pids=$(icd_ns_pids)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086  # one pid a word
		kill -KILL $pids 2>/dev/null || true
		# shellcheck disable=SC2086
		icd_wait_gone 20 $pids || true
	fi
	# shellcheck disable=SC2086
	[ -z "$ICD_MASTER_PID$ICD_AGENT_PID" ] || wait $ICD_MASTER_PID $ICD_AGENT_PID 2>/dev/null || true
	ICD_MASTER_PID='' ICD_AGENT_PID=''
}

# icd_cleanup: the EXIT trap; every step goes on when one fails.  Unless
# a SIGTERM came (the runner's timeout leaves the trap 5 s: then
# everything in the namespaces is killed at once), the daemons and the lab
# are stopped cleanly first.  Then the namespaces go, and, if the lab's
# folder is still there, tests/lab/down is run again outside them (its
# servers are gone by now) to forget the lab's Postfix folder and remove
# the lab's.
icd_cleanup() {
	local ns
	trap 'ICD_HURRY=1' TERM INT
	if [ -z "$ICD_HURRY" ]; then
		icd_stop_daemons || true
		if [ -z "$ICD_HURRY" ] && [ -n "$ICD_LAB_STARTED" ] && [ -n "$ICD_AGENT_NS" ]; then
			icd_lab_env
			timeout -k 5 30 ip netns exec "$ICD_AGENT_NS" env "${ICD_LAB_ENV[@]}" \
				"$TOP/tests/lab/down" >/dev/null 2>&1 || true
		fi
	fi
	icd_kill_rest || true
	for ns in $ICD_MASTER_NS $ICD_AGENT_NS; do
		ip netns del "$ns" 2>/dev/null || true
		rm -rf "/etc/netns/$ns" || true
	done
	rmdir /etc/netns 2>/dev/null || true
	if [ -n "$ICD_LAB_STARTED" ] && [ -d "$ICD_DIR/lab" ]; then
		icd_lab_env
		env "${ICD_LAB_ENV[@]}" "$TOP/tests/lab/down" >/dev/null 2>&1 || true
	fi
	[ -z "$ICD_DIR" ] || rm -rf "$ICD_DIR" || true
}

# icd_net_up: the two namespaces, loopback up in each, one veth pair made
# inside them (it never exists in the root namespace), and a resolv.conf
# naming loopback, where nothing answers, for anything that looks a name up.
icd_net_up() {
	local ns
	ICD_MASTER_NS=ncdist-$$-master
	ICD_AGENT_NS=ncdist-$$-agent
	for ns in "$ICD_MASTER_NS" "$ICD_AGENT_NS"; do
		mkdir -p "/etc/netns/$ns"
		printf 'nameserver 127.0.0.1\n' >"/etc/netns/$ns/resolv.conf"
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$ICD_MASTER_NS" link add ncdist0 type veth peer name ncdist0 netns "$ICD_AGENT_NS"
	ip -n "$ICD_MASTER_NS" addr add "$ICD_MASTER_ADDR/30" dev ncdist0
	ip -n "$ICD_AGENT_NS" addr add "$ICD_AGENT_ADDR/30" dev ncdist0
	ip -n "$ICD_MASTER_NS" link set ncdist0 up
	ip -n "$ICD_AGENT_NS" link set ncdist0 up
	# The agent's icinga2 runs check_icmp_rtt as its own user.
	icd_in "$ICD_AGENT_NS" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	# Nothing may be sent unless both namespaces are really there.
	for ns in "$ICD_MASTER_NS" "$ICD_AGENT_NS"; do
		ip netns list | grep -q "^$ns\\b" || fail "namespace $ns is missing"
	done
}

# icd_lab_up: the lab inside the agent namespace; its KEY=value lines are
# sourced here.
icd_lab_up() {
	mkdir "$ICD_DIR/labtmp"
	ICD_LAB_STARTED=1
	# (In the background: a SIGTERM meanwhile runs the EXIT trap at once,
	# which kills it with the rest of the namespace.)
	icd_lab_env
	icd_in "$ICD_AGENT_NS" env "${ICD_LAB_ENV[@]}" "$TOP/tests/lab/up" \
		>"$ICD_DIR/lab.env" 2>"$ICD_DIR/lab.err" &
	if ! wait $!; then
		complain "tests/lab/up in the agent namespace failed:"
		tail -n 15 "$ICD_DIR/lab.err" | sed 's/^/      /' >&2
		return 1
	fi
	# shellcheck disable=SC1091
	. "$ICD_DIR/lab.env"
}

# icd_pki: a CA in the master's DataDir/ca (icinga2 pki new-ca), then for
# each node a key and a CSR (pki new-cert) signed by it (pki sign-csr), in
# the node's DataDir/certs, where its ApiListener looks for them.  icinga2
# runs these commands as its own user, so it owns the folders.
icd_pki() {
	local node cn certs
	icd_icinga2 master pki new-ca >"$ICD_DIR/pki.log" 2>&1 ||
		{ cat "$ICD_DIR/pki.log" >&2; fail "icinga2 pki new-ca failed"; }
	for node in master agent; do
		[ "$node" = master ] && cn=$ICD_MASTER || cn=$ICD_AGENT
		certs=$ICD_DIR/$node/data/certs
		mkdir "$certs"
		chown "$ICD_USER:" "$certs"
		if ! icd_icinga2 "$node" pki new-cert --cn "$cn" --key "$certs/$cn.key" \
			--csr "$certs/$cn.csr" >>"$ICD_DIR/pki.log" 2>&1 ||
			! icd_icinga2 master pki sign-csr --csr "$certs/$cn.csr" --cert "$certs/$cn.crt" \
				>>"$ICD_DIR/pki.log" 2>&1; then
			cat "$ICD_DIR/pki.log" >&2
			fail "icinga2 pki new-cert or sign-csr for $cn failed"
		fi
		install -m 644 -o "$ICD_USER" "$ICD_DIR/master/data/ca/ca.crt" "$certs/ca.crt"
	done
}

# icd_defines NODE: ICD_DEFS, the -D options that put every folder of
# icinga2 in NODE's private one.
icd_defines() {
	local d=$ICD_DIR/$1
	ICD_DEFS=(-DConfiguration.ConfigDir="$d/etc" -DConfiguration.DataDir="$d/data"
		-DConfiguration.LogDir="$d/log" -DConfiguration.CacheDir="$d/cache"
		-DConfiguration.SpoolDir="$d/spool" -DConfiguration.InitRunDir="$d/run")
}

# icd_icinga2 NODE ARGS...: icinga2 ARGS in NODE's folders.
icd_icinga2() {
	icd_defines "$1"
	icinga2 "${@:2}" "${ICD_DEFS[@]}"
}

# icd_node_dirs NODE: NODE's private folders, owned where icinga2 writes.
icd_node_dirs() {
	local d=$ICD_DIR/$1 sub
	mkdir "$d" "$d/etc"
	chmod 755 "$d"
	for sub in data log cache spool run; do
		mkdir "$d/$sub"
		chown "$ICD_USER:" "$d/$sub"
	done
}

# icd_common NODE PLUGINDIR ZONE: what both nodes' icinga2.conf start with:
# the constants, the ITL, our CheckCommands, a log, the zones, the API.
icd_common() {
	local node=$1 plugindir=$2 zone=$3 f
	printf 'const PluginDir = %s\n' "$(icp_str "$plugindir")"
	printf 'const NodeName = %s\nconst ZoneName = %s\nconst TicketSalt = ""\n' \
		"$(icp_str "$([ "$node" = master ] && echo "$ICD_MASTER" || echo "$ICD_AGENT")")" \
		"$(icp_str "$zone")"
	printf 'include <itl>\ninclude <plugins>\n' # ipv4-or-ipv6 is in <plugins>
	for f in "$TOP"/nagios-config/check_*.conf; do cat "$f"; done
	printf 'object FileLogger "test-log" {\n  path = %s\n  severity = "information"\n}\n' \
		"$(icp_str "$ICD_DIR/$node/log/icinga2.log")"
	printf 'object Endpoint "%s" { }\n' "$ICD_MASTER"
	# The master connects to the agent.
	if [ "$node" = master ]; then
		printf 'object Endpoint "%s" {\n  host = "%s"\n  port = %s\n}\n' \
			"$ICD_AGENT" "$ICD_AGENT_ADDR" "$ICD_API_PORT"
	else
		printf 'object Endpoint "%s" { }\n' "$ICD_AGENT"
	fi
	printf 'object Zone "master" {\n  endpoints = [ "%s" ]\n}\n' "$ICD_MASTER"
	printf 'object Zone "%s" {\n  endpoints = [ "%s" ]\n  parent = "master"\n}\n' \
		"$ICD_AGENT" "$ICD_AGENT"
}

# icd_config_agent: the agent runs what the master sends (accept_commands),
# with our plugins from checks/.  It has no Host or Service of its own.
icd_config_agent() {
	local conf=$ICD_DIR/agent/etc/icinga2.conf
	{
		icd_common agent "$CHECKS" "$ICD_AGENT"
		printf 'object ApiListener "api" {\n  bind_host = "%s"\n  bind_port = %s\n' \
			"$ICD_AGENT_ADDR" "$ICD_API_PORT"
		printf '  accept_commands = true\n  accept_config = false\n}\n'
	} >"$conf"
	chmod 644 "$conf"
}

# icd_config_master PASSWORD: the checker, the objects, and an API user
# that may read services (PASSWORD), for the test to read the results.  Its
# PluginDir holds no plugins: every check must run on the agent.  (The
# POP3 password is in a custom variable: readable by icinga2's user only.)
icd_config_master() {
	local conf=$ICD_DIR/master/etc/icinga2.conf
	{
		icd_common master "$ICD_DIR/master/no-plugins-here" master
		printf 'object ApiListener "api" {\n  bind_host = "%s"\n  bind_port = %s\n' \
			"$ICD_MASTER_ADDR" "$ICD_API_PORT"
		printf '  accept_commands = false\n  accept_config = false\n}\n'
		printf 'object ApiUser "netcheck-test" {\n  password = %s\n' "$(icp_str "$1")"
		printf '  permissions = [ "objects/query/Service" ]\n}\n'
		printf 'object CheckerComponent "checker" { }\n'
		# The lab's mail server, as the agent sees it: on its loopback.
		# (Outside zones.d an object needs its zone set for command_endpoint.)
		printf 'object Host "mail.lab.test" {\n  zone = "master"\n  address = "127.0.0.1"\n'
		printf '  check_command = "dummy"\n  vars.agent_endpoint = "%s"\n}\n' "$ICD_AGENT"
		printf 'template Service "on-agent" {\n  zone = "master"\n  command_endpoint = "%s"\n' "$ICD_AGENT"
		printf '  check_interval = 1s\n  retry_interval = 1s\n  max_check_attempts = 1\n}\n'
		printf 'object Service "mx" {\n  host_name = "mail.lab.test"\n  import "on-agent"\n'
		printf '  check_command = "netcheck_dns_mx"\n'
		printf '  vars.netcheck_dns_mx_domain = %s\n' "$(icp_str "$DNS_DOMAIN_NORMAL")"
		printf '  vars.netcheck_dns_mx_servers = [ %s ]\n}\n' "$(icp_str "$DNS_SERVER:$DNS_PORT")"
		printf 'object Service "smtp" {\n  host_name = "mail.lab.test"\n  import "on-agent"\n'
		printf '  check_command = "netcheck_smtp_dialogue"\n'
		printf '  vars.netcheck_smtp_dialogue_address = "127.0.0.1"\n'
		printf '  vars.netcheck_smtp_dialogue_port = %s\n' "$SMTP_PORT"
		printf '  vars.netcheck_smtp_dialogue_starttls = true\n'
		printf '  vars.netcheck_smtp_dialogue_ca_file = %s\n' "$(icp_str "$LAB_CA")"
		printf '  vars.netcheck_smtp_dialogue_certificate = "30,7"\n}\n'
		printf 'object Service "pop3" {\n  host_name = "mail.lab.test"\n  import "on-agent"\n'
		printf '  check_command = "netcheck_pop3_mailbox"\n'
		printf '  vars.netcheck_pop3_mailbox_address = "127.0.0.1"\n'
		printf '  vars.netcheck_pop3_mailbox_port = %s\n' "$POP3_PORT"
		printf '  vars.netcheck_pop3_mailbox_starttls = true\n'
		printf '  vars.netcheck_pop3_mailbox_ca_file = %s\n' "$(icp_str "$LAB_CA")"
		printf '  vars.netcheck_pop3_mailbox_user = "alice"\n'
		printf '  vars.netcheck_pop3_mailbox_password = %s\n}\n' \
			"$(icp_str "$(head -n 1 "$LAB_PWFILE_ALICE")")"
		# Not OK on purpose: nothing listens on port 9 in the agent's namespace.
		printf 'object Service "smtp_closed" {\n  host_name = "mail.lab.test"\n  import "on-agent"\n'
		printf '  check_command = "netcheck_smtp_dialogue"\n'
		printf '  vars.netcheck_smtp_dialogue_address = "127.0.0.1"\n'
		printf '  vars.netcheck_smtp_dialogue_port = 9\n}\n'
		# An apply rule: every host with an agent_endpoint is pinged from it.
		printf 'apply Service "ping" {\n  zone = "master"\n  check_command = "netcheck_icmp_rtt"\n'
		printf '  command_endpoint = host.vars.agent_endpoint\n'
		printf '  check_interval = 1s\n  retry_interval = 1s\n  max_check_attempts = 1\n'
		printf '  assign where host.vars.agent_endpoint\n}\n'
	} >"$conf"
	chmod 600 "$conf"
	chown "$ICD_USER:" "$conf"
}

# icd_start NODE NS: icinga2 NODE as a daemon inside namespace NS.
icd_start() {
	local node=$1 ns=$2 pidvar
	pidvar=ICD_${node^^}_PID
	icd_defines "$node"
	ip netns exec "$ns" icinga2 daemon \
		-c "$ICD_DIR/$node/etc/icinga2.conf" "${ICD_DEFS[@]}" \
		</dev/null >"$ICD_DIR/$node.out" 2>&1 &
	printf -v "$pidvar" '%s' "$!"
}

# icd_show_logs: what both daemons said about the cluster and the checks
# (their console output: the log file's lines, and configuration errors,
# which come before the log file is open).
icd_show_logs() {
	local node
	for node in master agent; do
		complain "$node's icinga2 (last relevant lines):"
		grep -E 'warning/|critical/|ApiListener|JsonRpc|Checkable|ClusterEvents|checker' \
			"$ICD_DIR/$node.out" 2>/dev/null | tail -n 25 | sed 's/^/      /' >&2 || true
	done
}

# icd_wait_listening NS ADDR PORT SECONDS: until something listens there.
icd_wait_listening() {
	for _ in $(seq 1 $(($4 * 10))); do
		[ -z "$(icd_in "$1" ss -Hltn "src $2 and sport = :$3")" ] || return 0
		sleep 0.1
	done
	return 1
}

# The master's REST API, read from inside its namespace: one line per
# service, "name state check_source command[0] first-line-of-output
# perfdata", the fields separated by \x1f (a tab would merge empty fields
# in `read`); a service without a result: its name alone.
ICD_QUERY_PY='
import base64, json, os, ssl, sys, urllib.request
url, ca = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False  # the certificate names master.example.com, not the address
auth = base64.b64encode(("netcheck-test:" + os.environ["ICD_API_PW"]).encode()).decode()
req = urllib.request.Request(url, headers={"Accept": "application/json",
                                          "Authorization": "Basic " + auth})
with urllib.request.urlopen(req, context=ctx, timeout=5) as r:
    data = json.load(r)
for o in sorted(data["results"], key=lambda o: o["name"]):
    cr = o["attrs"].get("last_check_result")
    if not cr:
        print(o["name"].split("!", 1)[1])
        continue
    cmd = cr.get("command") or [""]
    if not isinstance(cmd, list):
        cmd = [cmd]
    out = (cr.get("output") or "").split("\n", 1)[0]
    perf = " ".join(p if isinstance(p, str) else json.dumps(p) for p in cr.get("performance_data") or [])
    print("\x1f".join(s.replace("\x1f", " ") for s in
          (o["name"].split("!", 1)[1], str(int(cr["state"])), cr.get("check_source", ""),
           str(cmd[0]), out, perf)))
'

# icd_show_results: the last answer of the API, for a person to read.
icd_show_results() {
	sed "s/^/      /; s/\x1f/ | /g" "$ICD_DIR/results" >&2
}

# icd_results PASSWORD: the master's results into ICD_DIR/results (false
# while the API does not answer).
icd_results() {
	icd_in "$ICD_MASTER_NS" env ICD_API_PW="$1" python3 -c "$ICD_QUERY_PY" \
		"https://$ICD_MASTER_ADDR:$ICD_API_PORT/v1/objects/services?attrs=last_check_result" \
		"$ICD_DIR/master/data/certs/ca.crt" >"$ICD_DIR/results.new" 2>"$ICD_DIR/results.err" &&
		mv "$ICD_DIR/results.new" "$ICD_DIR/results"
}

test_icinga2_master_runs_our_checks_on_an_agent_with_command_endpoint() {
	need_root # namespaces; icinga2 switches to its own user
	need_cmd icinga2
	need_cmd ip
	need_cmd ss
	need_cmd python3
	for svc in postfix dovecot nsd; do need_cmd "$svc"; done # the lab's servers
	[ -x "$TOP/tests/lab/up" ] || skip "tests/lab/up does not exist"
	local us=$'\x1f' pw svc waiting name state src cmd output perf problems=0 before
	local -a a services=(mx smtp pop3 ping smtp_closed)
	local -A args want_state want_output want_labels got_state got_src got_cmd got_out got_perf

	trap icd_cleanup EXIT
	trap 'ICD_HURRY=1; exit 143' TERM INT
	ICD_DIR=$(mktemp -d)
	chmod 755 "$ICD_DIR" # the lab's servers and icinga2's user go through it
	ICD_USER=$(stat -c %U /var/lib/icinga2 2>/dev/null || echo nagios)
	icd_net_up
	icd_lab_up

	# Each check by hand inside the agent's namespace, as the CheckCommands
	# call them: the state and labels Icinga must bring back.  (Words joined
	# by \x1f, so that a path may hold a space.)
	icd_args() { local s=$1; shift; args[$s]=$(IFS=$'\x1f'; printf '%s' "$*"); }
	icd_args mx check_dns_mx -d "$DNS_DOMAIN_NORMAL" -s "$DNS_SERVER:$DNS_PORT"
	icd_args smtp check_smtp_dialogue -H 127.0.0.1 -p "$SMTP_PORT" -S -D 30,7 --ca-file "$LAB_CA"
	icd_args pop3 check_pop3_mailbox -H 127.0.0.1 -p "$POP3_PORT" --starttls --ca-file "$LAB_CA" \
		-U alice --password-env NETCHECK_POP3_PASSWORD
	icd_args ping check_icmp_rtt -H 127.0.0.1 -w 200,40% -c 500,80%
	icd_args smtp_closed check_smtp_dialogue -H 127.0.0.1 -p 9
	want_state=([mx]=0 [smtp]=0 [pop3]=0 [ping]=0 [smtp_closed]=2)
	want_output=(
		[mx]="^DNS MX OK - $DNS_DOMAIN_NORMAL: 2 MX"
		[smtp]="^SMTP OK - \\[127\\.0\\.0\\.1\\]:$SMTP_PORT .*STARTTLS"
		[pop3]="^POP3 OK - alice@127\\.0\\.0\\.1:$POP3_PORT: $POP3_ALICE_COUNT messages"
		[ping]="^ICMP OK - 127\\.0\\.0\\.1: rta "
		[smtp_closed]="^SMTP CRITICAL - 127\\.0\\.0\\.1: connect: .*connection refused"
	)
	for svc in "${services[@]}"; do
		IFS=$'\x1f' read -ra a <<<"${args[$svc]}"
		run icd_in "$ICD_AGENT_NS" env NETCHECK_POP3_PASSWORD="$(head -n 1 "$LAB_PWFILE_ALICE")" \
			"$CHECKS/${a[0]}" "${a[@]:1}"
		[ "$rc" = "${want_state[$svc]}" ] ||
			{ complain "$svc by hand in the agent's namespace: exit code $rc, not ${want_state[$svc]}"; show_run; return 1; }
		want_labels[$svc]=$(perf_labels)
		[ -n "${want_labels[$svc]}" ] || { complain "$svc: no perfdata by hand"; show_run; return 1; }
	done
	# The master's namespace cannot reach the lab: what runs there fails.
	for svc in mx smtp; do
		IFS=$'\x1f' read -ra a <<<"${args[$svc]}"
		run icd_in "$ICD_MASTER_NS" "$CHECKS/${a[0]}" "${a[@]:1}" -t 5
		[ "$rc" = 2 ] ||
			{ complain "$svc in the master's namespace: exit code $rc, not 2 (it must not reach the lab)"; show_run; return 1; }
	done

	icd_node_dirs master
	icd_node_dirs agent
	icd_pki
	pw=$(od -An -N 12 -tx1 /dev/urandom | tr -d ' \n')
	icd_config_agent
	icd_config_master "$pw"

	# The agent first, so that the master's first connect finds it.
	icd_start agent "$ICD_AGENT_NS"
	if ! icd_wait_listening "$ICD_AGENT_NS" "$ICD_AGENT_ADDR" "$ICD_API_PORT" 20; then
		complain "the agent's icinga2 is not listening on $ICD_AGENT_ADDR:$ICD_API_PORT after 20 s"
		icp_running "$ICD_AGENT_PID" || complain "it has ended; its output:"
		tail -n 20 "$ICD_DIR/agent.out" | sed 's/^/      /' >&2
		return 1
	fi
	icd_start master "$ICD_MASTER_NS"

	# Until every service has a result that came from the agent: usually
	# 2-4 s after the master starts; 40 s at most.
	waiting=' every service'
	for _ in $(seq 1 80); do
		sleep 0.5
		if ! icp_running "$ICD_MASTER_PID" || ! icp_running "$ICD_AGENT_PID"; then break; fi
		icd_results "$pw" || continue
		waiting=
		for svc in "${services[@]}"; do
			grep -q "^$svc${us}[0-9]*$us$ICD_AGENT$us" "$ICD_DIR/results" || waiting+=" $svc"
		done
		[ -n "$waiting" ] || break
	done
	if [ -n "$waiting" ]; then
		complain "the master has no result from the agent within 40 s for:$waiting"
		icp_running "$ICD_MASTER_PID" || complain "the master's icinga2 has ended"
		icp_running "$ICD_AGENT_PID" || complain "the agent's icinga2 has ended"
		[ ! -s "$ICD_DIR/results.err" ] || complain "REST API: $(tail -n 1 "$ICD_DIR/results.err")"
		[ ! -s "$ICD_DIR/results" ] || { complain "what the master has:"; icd_show_results; }
		icd_show_logs
		fail "the master did not receive every result from the agent"
	fi

	while IFS=$us read -r name state src cmd output perf; do
		got_state[$name]=$state got_src[$name]=$src got_cmd[$name]=$cmd
		got_out[$name]=$output got_perf[$name]=$perf
	done <"$ICD_DIR/results"
	for svc in "${services[@]}"; do
		IFS=$'\x1f' read -ra a <<<"${args[$svc]}"
		before=$problems
		if [ "${got_state[$svc]}" != "${want_state[$svc]}" ]; then
			complain "$svc: the master has state ${got_state[$svc]}, not ${want_state[$svc]}"
			problems=$((problems + 1))
		fi
		# The agent ran it, with its own plugin (the master's PluginDir is empty).
		if [ "${got_cmd[$svc]}" != "$CHECKS/${a[0]}" ]; then
			complain "$svc: the command that ran is '${got_cmd[$svc]}', not '$CHECKS/${a[0]}'"
			problems=$((problems + 1))
		fi
		if ! [[ ${got_out[$svc]} =~ ${want_output[$svc]} ]]; then
			complain "$svc: the output '${got_out[$svc]}' does not match /${want_output[$svc]}/"
			problems=$((problems + 1))
		fi
		perf=${got_perf[$svc]}
		if [ "$(perf_labels)" != "${want_labels[$svc]}" ]; then
			complain "$svc: perfdata labels at the master [$(perf_labels | tr '\n' ' ')]" \
				"differ from those by hand [$(tr '\n' ' ' <<<"${want_labels[$svc]}")]"
			complain "  perfdata at the master: ${got_perf[$svc]}"
			problems=$((problems + 1))
		fi
		[ "$problems" = "$before" ] ||
			complain "  ($svc at the master: state ${got_state[$svc]}, check_source ${got_src[$svc]})"
	done
	if [ "$problems" -gt 0 ]; then
		complain "what the master received (service, state, source, command, output, perfdata):"
		icd_show_results
		icd_show_logs
		fail "$problems problem(s) with the results of the agent's checks at the master"
	fi
}
