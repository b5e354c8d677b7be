# --output=influx and --output=graphite, fed to the real consumers: an
# InfluxDB 1.x server (influxd) and a Graphite carbon-cache, each started
# in a private folder on loopback by the test.  Every line our plugins
# write must be taken by the consumer (influxd answers 204, not 400), and
# what it stores must be what the plugin measured: the same fields, tags,
# values and states.  The plugins run against loopback only: check_icmp_rtt
# pings 127.0.0.1 and ::1, check_dns_mx asks a dnsfake on 127.0.0.1, and a
# usage error (no metrics, a summary with quotes) goes through too.
#
# Time: the consumers start within seconds; each wait is bounded (20 s for a
# start, 20 s for carbon to write its files), far above what they need.

. "$TOP/tests/fake/lib.sh"

FORMATS_WAIT=20

# free_port: a TCP port nobody listens on now (bound by the kernel's choice,
# then closed).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# http METHOD URL [BODY-FILE]: the status code, the body in $HTTP_BODY.
http() {
	local out
	out=$(python3 - "$@" <<-'PY'
		import sys, urllib.request, urllib.error
		method, url = sys.argv[1], sys.argv[2]
		data = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else None
		req = urllib.request.Request(url, data=data, method=method)
		try:
		    with urllib.request.urlopen(req, timeout=10) as r:
		        print(r.status); sys.stdout.write(r.read().decode())
		except urllib.error.HTTPError as e:
		    print(e.code); sys.stdout.write(e.read().decode())
		except OSError as e:
		    print(0); sys.stdout.write(str(e))
		PY
	)
	HTTP_CODE=${out%%$'\n'*}
	HTTP_BODY=${out#*$'\n'}
}

# influx_up: influxd in $FAKE_TMP/influx on a free loopback port
# ($INFLUX_URL), with a database "nc".
influx_up() {
	need_cmd influxd
	fake_init
	local d=$FAKE_TMP/influx port rpc i
	port=$(free_port) rpc=$(free_port)
	mkdir -p "$d"
	cat >"$d/influxdb.conf" <<-EOF
		reporting-disabled = true
		bind-address = "127.0.0.1:$rpc"
		[meta]
		  dir = "$d/meta"
		[data]
		  dir = "$d/data"
		  wal-dir = "$d/wal"
		  query-log-enabled = false
		[http]
		  enabled = true
		  bind-address = "127.0.0.1:$port"
		  log-enabled = false
		[monitor]
		  store-enabled = false
		[continuous_queries]
		  enabled = false
	EOF
	timeout -k 5 300 influxd -config "$d/influxdb.conf" >"$d/log" 2>&1 </dev/null &
	FAKE_PIDS+=("$!")
	INFLUX_URL=http://127.0.0.1:$port
	for ((i = 0; i < FORMATS_WAIT * 10; i++)); do
		http GET "$INFLUX_URL/ping"
		[ "$HTTP_CODE" = 204 ] && break
		sleep 0.1
	done
	[ "$HTTP_CODE" = 204 ] || { tail -5 "$d/log" >&2; fail "influxd did not start"; }
	http POST "$INFLUX_URL/query?q=CREATE+DATABASE+nc"
	[ "$HTTP_CODE" = 200 ] || fail "CREATE DATABASE: $HTTP_CODE $HTTP_BODY"
}

# influx_write: writes $out (a plugin's --output=influx) to influxd;
# fails unless it takes every line.
influx_write() {
	printf '%s\n' "$out" >"$FAKE_TMP/lines"
	http POST "$INFLUX_URL/write?db=nc&precision=ns" "$FAKE_TMP/lines"
	[ "$HTTP_CODE" = 204 ] || fail "influxd refused [$out]: $HTTP_CODE $HTTP_BODY"
}

# influx_query Q: the JSON answer of InfluxQL query Q, as one object of
# the first series: {"columns": [...], "values": [[...]], "tags": ...}.
influx_query() {
	local q
	q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1")
	http GET "$INFLUX_URL/query?db=nc&q=$q"
	[ "$HTTP_CODE" = 200 ] || fail "query $1: $HTTP_CODE $HTTP_BODY"
}

# influx_field MEASUREMENT FIELD: the field's value in the newest point.
influx_field() {
	influx_query "SELECT \"$2\" FROM \"$1\" ORDER BY time DESC LIMIT 1"
	python3 -c 'import json, sys
r = json.loads(sys.argv[1])["results"][0]
print(r["series"][0]["values"][0][1] if "series" in r else "NONE")' "$HTTP_BODY"
}

test_influx_takes_every_plugin_line_and_keeps_the_values() {
	need_root # ICMP as root (raw), or as a user in ping_group_range
	influx_up
	local rta

	run "$CHECKS/check_icmp_rtt" -H 127.0.0.1 -n 3 -i 10ms -t 10 --output=influx
	expect_rc 0
	[[ $out =~ ^check_icmp_rtt,host=127\.0\.0\.1,service=ICMP\ state=0i,summary=\" ]] ||
		fail "line: $out"
	influx_write
	rta=$(sed -n 's/.*,rta=\([0-9.]*\),.*/\1/p' <<<"$out")
	[ "$(influx_field check_icmp_rtt rta)" = "$rta" ] || fail "rta stored: $(influx_field check_icmp_rtt rta), written $rta"
	[ "$(influx_field check_icmp_rtt state)" = 0 ] || fail "state stored: $(influx_field check_icmp_rtt state)"
	[ "$(influx_field check_icmp_rtt pl)" = 0 ] || fail "pl"
	influx_query 'SHOW TAG VALUES FROM "check_icmp_rtt" WITH KEY = "service"'
	[[ $HTTP_BODY == *'"ICMP"'* ]] || fail "service tag: $HTTP_BODY"

	# Two hosts: labels that start with a digit ("127.0.0.1rta"), no host tag.
	run "$CHECKS/check_icmp_rtt" -H 127.0.0.1,::1 -n 1 -t 10 --output=influx
	expect_rc 0
	[[ $out != *host=* ]] || fail "a host tag for two hosts: $out"
	influx_write
	[ "$(influx_field check_icmp_rtt '::1pl')" = 0 ] || fail "::1pl: $(influx_field check_icmp_rtt '::1pl')"

	# check_dns_mx against a fake DNS server: the domain is the host tag.
	fake_start dnsfake --mx '10 mx1.fake.test,20 mx2.fake.test'
	run "$CHECKS/check_dns_mx" -d fake.test -s "127.0.0.1:$FAKE_PORT" -t 10 --output=influx
	expect_rc 0
	influx_write
	[ "$(influx_field check_dns_mx mx)" = 2 ] || fail "mx stored: $(influx_field check_dns_mx mx)"
	influx_query 'SHOW TAG VALUES FROM "check_dns_mx" WITH KEY = "host"'
	[[ $HTTP_BODY == *'"fake.test"'* ]] || fail "host tag: $HTTP_BODY"

	# A usage error (nothing is looked up): UNKNOWN, no metrics, a summary
	# with quotes and a backslash, escaped so that influxd reads it back as
	# it was.
	run "$CHECKS/check_dns_mx" -d fake.test -s "127.0.0.1:$FAKE_PORT" -w 'a"b\c' --output=influx
	expect_rc 3
	influx_write
	[ "$(influx_field check_dns_mx state)" = 3 ] || fail "state 3 not stored"
	[[ "$(influx_field check_dns_mx summary)" == *"'a\"b\\c'"* ]] ||
		fail "summary stored: $(influx_field check_dns_mx summary)"
}

# carbon_up: a carbon-cache in $FAKE_TMP/carbon, its line receiver on a
# free loopback port ($CARBON_PORT), whisper files in $CARBON_WSP.
carbon_up() {
	need_cmd carbon-cache
	need_cmd whisper-fetch
	fake_init
	local d=$FAKE_TMP/carbon i
	CARBON_PORT=$(free_port)
	CARBON_WSP=$d/whisper
	mkdir -p "$d/conf" "$CARBON_WSP" "$d/log" "$d/run"
	cat >"$d/conf/carbon.conf" <<-EOF
		[cache]
		STORAGE_DIR = $d/
		LOCAL_DATA_DIR = $CARBON_WSP/
		WHITELISTS_DIR = $d/lists/
		CONF_DIR = $d/conf/
		LOG_DIR = $d/log/
		PID_DIR = $d/run/
		ENABLE_LOGROTATION = False
		USER =
		MAX_CACHE_SIZE = inf
		MAX_UPDATES_PER_SECOND = inf
		MAX_CREATES_PER_MINUTE = inf
		LINE_RECEIVER_INTERFACE = 127.0.0.1
		LINE_RECEIVER_PORT = $CARBON_PORT
		ENABLE_UDP_LISTENER = False
		PICKLE_RECEIVER_INTERFACE = 127.0.0.1
		PICKLE_RECEIVER_PORT = $(free_port)
		CACHE_QUERY_INTERFACE = 127.0.0.1
		CACHE_QUERY_PORT = $(free_port)
		LOG_LISTENER_CONNECTIONS = False
		ENABLE_TAGS = False
		CACHE_WRITE_STRATEGY = sorted
	EOF
	printf '[all]\npattern = .*\nretentions = 1s:1h\n' >"$d/conf/storage-schemas.conf"
	timeout -k 5 300 carbon-cache --config="$d/conf/carbon.conf" --debug start \
		>"$d/out" 2>&1 </dev/null &
	FAKE_PIDS+=("$!")
	for ((i = 0; i < FORMATS_WAIT * 10; i++)); do
		python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
			"$CARBON_PORT" 2>/dev/null && return 0
		sleep 0.1
	done
	tail -5 "$d/out" >&2
	fail "carbon-cache did not listen"
}

# carbon_send: sends $out (--output=graphite lines) to carbon.
carbon_send() {
	python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(sys.stdin.buffer.read()); s.close()' "$CARBON_PORT" <<<"$out"
}

# carbon_value PATH: the newest value carbon stored for metric PATH (waits
# for its whisper file, bounded).
carbon_value() {
	local f=$CARBON_WSP/${1//.//}.wsp i v
	for ((i = 0; i < FORMATS_WAIT * 10; i++)); do
		if [ -f "$f" ]; then
			v=$(whisper-fetch --from=$(($(date +%s) - 600)) "$f" 2>/dev/null |
				awk '$2 != "None" { v = $2 } END { print v }')
			[ -n "$v" ] && { echo "$v"; return 0; }
		fi
		sleep 0.1
	done
	echo NONE
}

# Graphite values as numbers (whisper stores doubles: 0.031 comes back as
# 0.031000); equal within a millionth.
same_number() { python3 -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 1e-6)' "$1" "$2" 2>/dev/null; }

test_graphite_lines_are_stored_by_carbon() {
	need_root
	carbon_up
	local rta v

	run "$CHECKS/check_icmp_rtt" -H 127.0.0.1 -n 3 -i 10ms -t 10 --output=graphite
	expect_rc 0
	expect_out '^netcheck\.127_0_0_1\.check_icmp_rtt\.state 0 [0-9]+$'
	expect_out '^netcheck\.127_0_0_1\.check_icmp_rtt\.rta [0-9.]+ [0-9]+$'
	carbon_send
	rta=$(awk '$1 ~ /\.rta$/ { print $2 }' <<<"$out")
	v=$(carbon_value netcheck.127_0_0_1.check_icmp_rtt.rta)
	same_number "$v" "$rta" || fail "carbon stored rta $v, written $rta"
	v=$(carbon_value netcheck.127_0_0_1.check_icmp_rtt.state)
	same_number "$v" 0 || fail "carbon stored state $v"

	# --graphite-prefix, and a usage error (state 3, nothing else).
	fake_start dnsfake --mx '10 mx1.fake.test'
	run "$CHECKS/check_dns_mx" -d fake.test -s "127.0.0.1:$FAKE_PORT" -t 10 --output=graphite \
		--graphite-prefix site1.dns
	expect_rc 0
	carbon_send
	v=$(carbon_value site1.dns.mx)
	same_number "$v" 1 || fail "carbon stored mx $v"
	run "$CHECKS/check_dns_mx" -d fake.test -s "127.0.0.1:$FAKE_PORT" -w 'a b' --output=graphite \
		--graphite-prefix site1.bad
	expect_rc 3
	[ "$(grep -c . <<<"$out")" = 1 ] || fail "more than the state line: $out"
	carbon_send
	v=$(carbon_value site1.bad.state)
	same_number "$v" 3 || fail "carbon stored site1.bad.state $v: $out"
}
