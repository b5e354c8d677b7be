# Smoke tests of the network lab (tests/lab/netlab): the chain of namespaces
# and the echo responder behave as the ICMP and hops tests will assume, seen
# through the tools users know (traceroute, ping).  Every test builds its own
# chain, sends only inside it (ip netns exec into the source namespace, after
# checking the namespace exists), and removes it again.

# A chain of our own (namespaces nclab-ID-*), so that a second test run at
# the same time does not pull this one's namespaces away.
export NETLAB_ID=t$$

# lab_up OPTIONS...: builds a chain, sources its variables, removes it when
# the test ends.
lab_up() {
	need_root
	local c
	for c in ip nft traceroute ping python3 sysctl; do need_cmd "$c"; done
	trap '"$NETLAB" down >/dev/null 2>&1 || true' EXIT
	local envf
	envf=$(mktemp)
	if ! "$NETLAB" up "$@" >"$envf" 2>"$envf.err"; then
		cat "$envf.err" >&2
		rm -f "$envf" "$envf.err"
		complain "netlab up $* failed"
		return 1
	fi
	# shellcheck disable=SC1090
	. "$envf"
	rm -f "$envf" "$envf.err"
	# Nothing may be sent unless the chain is really there.
	[ -n "${NET_SRC_NS:-}" ] && ip netns list | grep -q "^$NET_SRC_NS\\b" ||
		{ complain "source namespace '${NET_SRC_NS:-}' is missing"; return 1; }
	ip netns list | grep -q "^$NET_DST_NS\\b" ||
		{ complain "destination namespace '$NET_DST_NS' is missing"; return 1; }
}

in_src() { timeout 30 ip netns exec "$NET_SRC_NS" "$@"; }

# trace -4|-6 DEST [MAXHOPS]: traceroute's output, one probe per hop
trace() {
	set +e
	out=$(in_src traceroute "$1" -n -q 1 -w 1 -m "${3:-8}" "$2" 2>&1)
	rc=$?
	set -e
}
# hop addresses of $out, one a line ('*' for a hop that did not answer)
hops() { awk 'NR > 1 { print $2 }' <<<"$out"; }
want_hops() { # expected addresses, space separated
	local want got
	want=$(tr ' ' '\n' <<<"$1")
	got=$(hops)
	[ "$want" = "$got" ] && return 0
	complain "hops differ: want [$(echo $want)] got [$(echo $got)]"
	printf '    %s\n' "${out//$'\n'/$'\n'    }" >&2
	return 1
}

# pings FAMILY DEST COUNT [INTERVAL]: sets $out and $rc
pings() {
	set +e
	out=$(in_src ping "$1" -n -c "$3" -i "${4:-0.2}" -W 1 "$2" 2>&1)
	rc=$?
	set -e
}
received() { sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out"; }
# "time=" values of the non-duplicate replies, sorted
rtts() { grep 'time=' <<<"$out" | grep -v 'DUP!' | sed 's/.*time=\([0-9.]*\).*/\1/' | sort -n; }
median() { awk '{ v[NR] = $1 } END { if (NR == 0) print "none"; else print v[int((NR + 1) / 2)] }'; }

# counter of /proc/net/snmp (Icmp InCsumErrors) or snmp6 inside the source
icmp_csum_errors() {
	if [ "$1" = -4 ]; then
		ip netns exec "$NET_SRC_NS" awk '$1 == "Icmp:" { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 } else print $(n["InCsumErrors"]) }' /proc/net/snmp
	else
		ip netns exec "$NET_SRC_NS" awk '$1 == "Icmp6InCsumErrors" { print $2 }' /proc/net/snmp6
	fi
}

test_traceroute_counts_hops_in_order() {
	local n fam
	for n in 3 1 6; do
		lab_up --routers "$n"
		[ "$NET_HOPS" = $((n + 1)) ] || fail "NET_HOPS=$NET_HOPS for $n routers"
		trace -4 "$NET_DST4" 12
		want_hops "$NET_HOPS4"
		trace -6 "$NET_DST6" 12
		want_hops "$NET_HOPS6"
		# the per-router variables name the same hops
		for fam in 4 6; do
			local k list=
			for k in $(seq 1 "$n"); do
				local var=NET_ROUTER${k}_$fam
				list+="${!var} "
			done
			local dst=NET_DST$fam all=NET_HOPS$fam
			[ "$list${!dst}" = "${!all}" ] || fail "NET_ROUTERk_$fam disagree with NET_HOPS$fam"
		done
	done
}

test_silent_router_is_a_star() {
	lab_up --routers 3 --silent 2
	trace -4 "$NET_DST4"
	want_hops "$NET_ROUTER1_4 * $NET_ROUTER3_4 $NET_DST4"
	trace -6 "$NET_DST6"
	want_hops "$NET_ROUTER1_6 * $NET_ROUTER3_6 $NET_DST6"
}

test_unreach_router_says_bang_n() {
	lab_up --routers 3 --unreach 2
	local fam
	for fam in 4 6; do
		local dst=NET_DST$fam r1=NET_ROUTER1_$fam r2=NET_ROUTER2_$fam
		trace "-$fam" "${!dst}"
		# r2 answers the probes that reach it with TTL to spare: !N, and
		# traceroute stops there
		want_hops "${!r1} ${!r2} ${!r2}"
		grep -Eq "^ *3 +${!r2} .*!N" <<<"$out" || { complain "no !N from router 2 (IPv$fam)"; printf '%s\n' "$out" >&2; return 1; }
	done
}

test_loop_repeats_addresses() {
	lab_up --routers 3 --loop
	local fam
	for fam in 4 6; do
		local dst=NET_DST$fam
		trace "-$fam" "${!dst}" 9
		local n_hops repeated
		n_hops=$(hops | grep -vc '^\*$' || true)
		repeated=$(hops | grep -v '^\*$' | sort | uniq -d | wc -l)
		[ "$n_hops" = 9 ] || { complain "IPv$fam: want 9 answering hops in a loop, got $n_hops"; printf '%s\n' "$out" >&2; return 1; }
		[ "$repeated" -ge 2 ] || { complain "IPv$fam: no repeating addresses"; printf '%s\n' "$out" >&2; return 1; }
		! hops | grep -qxF "${!dst}" || fail "IPv$fam: the destination answered through a loop"
		# the loop is between the last two routers
		[ "$(hops | sed -n 6p)" = "$(hops | sed -n 4p)" ] || fail "IPv$fam: hop 6 is not hop 4 again"
	done
}

test_dest_drop_gives_no_reply() {
	lab_up --routers 2 --dest-drop
	trace -4 "$NET_DST4" 5
	want_hops "$NET_ROUTER1_4 $NET_ROUTER2_4 * * *"
	trace -6 "$NET_DST6" 5
	want_hops "$NET_ROUTER1_6 $NET_ROUTER2_6 * * *"
	pings -4 "$NET_DST4" 3
	[ "$rc" != 0 ] && [ "$(received)" = 0 ] || fail "IPv4 ping got replies: $out"
	pings -6 "$NET_DST6" 3
	[ "$rc" != 0 ] && [ "$(received)" = 0 ] || fail "IPv6 ping got replies: $out"
}

test_router_loss_loses_a_share() {
	lab_up --routers 2 --loss 50
	local fam got
	for fam in 4 6; do
		local dst=NET_DST$fam
		pings "-$fam" "${!dst}" 40 0.05
		got=$(received)
		[ -n "$got" ] && [ "$got" -ge 4 ] && [ "$got" -le 36 ] ||
			fail "IPv$fam: $got of 40 replies with 50% loss"
	done
}

test_responder_delay_shows_in_ping() {
	lab_up --routers 2 --responder delay=200
	local fam min med
	for fam in 4 6; do
		local dst=NET_DST$fam
		pings "-$fam" "${!dst}" 5
		[ "$(received)" = 5 ] || { complain "IPv$fam: $(received) of 5 replies"; printf '%s\n' "$out" >&2; return 1; }
		min=$(rtts | head -n 1)
		med=$(rtts | median)
		awk -v m="$min" 'BEGIN { exit !(m >= 200) }' || fail "IPv$fam: min rtt $min ms < 200 ms"
		awk -v m="$med" 'BEGIN { exit !(m < 300) }' || fail "IPv$fam: median rtt $med ms >= 300 ms"
		# the replies are well formed: the kernel found no bad checksum
		[ "$(icmp_csum_errors "-$fam")" = 0 ] || fail "IPv$fam: checksum errors on correct replies"
	done
	grep -q DUP <<<"$out" && fail "duplicates without dup="
	return 0
}

test_responder_jitter_spreads_rtt() {
	lab_up --routers 1 --responder delay=100,jitter=50
	pings -4 "$NET_DST4" 8 0.1
	[ "$(received)" = 8 ] || fail "$(received) of 8 replies"
	local min max
	min=$(rtts | head -n 1) max=$(rtts | tail -n 1)
	awk -v a="$min" -v b="$max" 'BEGIN { exit !(a >= 50 && b < 200 && b - a > 5) }' ||
		fail "rtts $min..$max ms for delay 100 ± 50 ms"
}

test_responder_duplicates_show_as_dup() {
	lab_up --routers 2 --responder dup=2
	local fam dups
	for fam in 4 6; do
		local dst=NET_DST$fam
		pings "-$fam" "${!dst}" 4
		[ "$(received)" = 4 ] || fail "IPv$fam: $(received) of 4 replies"
		dups=$(grep -c 'DUP!' <<<"$out" || true)
		# two copies of every reply; those of the last one may come after ping ended
		[ "$dups" -ge 6 ] && [ "$dups" -le 8 ] || { complain "IPv$fam: $dups DUP! lines for 4 pings with dup=2"; printf '%s\n' "$out" >&2; return 1; }
	done
}

test_responder_loss_shows_loss() {
	lab_up --routers 1 --responder loss=50
	pings -4 "$NET_DST4" 20 0.05
	local got
	got=$(received)
	[ -n "$got" ] && [ "$got" -ge 2 ] && [ "$got" -le 18 ] || fail "$got of 20 replies with loss=50"
	grep -Eq '[0-9.]+% packet loss' <<<"$out" || fail "no loss line: $out"
}

test_responder_corrupts_replies() {
	lab_up --routers 1 --responder corrupt=100
	local fam before after
	for fam in 4 6; do
		local dst=NET_DST$fam
		before=$(icmp_csum_errors "-$fam")
		pings "-$fam" "${!dst}" 3
		after=$(icmp_csum_errors "-$fam")
		[ $((after - before)) -ge 3 ] || fail "IPv$fam: the kernel saw $((after - before)) bad checksums, want 3"
	done
	"$NETLAB" down >/dev/null 2>&1
	lab_up --routers 1 --responder corrupt=100,cmode=payload
	for fam in 4 6; do
		local dst=NET_DST$fam
		pings "-$fam" "${!dst}" 2
		grep -q 'wrong data byte' <<<"$out" || { complain "IPv$fam: ping saw no mangled payload"; printf '%s\n' "$out" >&2; return 1; }
	done
}

test_ratelimit_switch() {
	# TTL 1: router 1 answers every probe with Time Exceeded, unless the
	# kernel's ICMP rate limit holds it back
	local opt fam n
	for opt in "" --ratelimit; do
		# shellcheck disable=SC2086
		lab_up --routers 1 $opt
		for fam in 4 6; do
			local dst=NET_DST$fam
			set +e
			out=$(in_src ping "-$fam" -n -t 1 -c 20 -i 0.01 -W 1 "${!dst}" 2>&1)
			set -e
			n=$(grep -ci 'exceeded' <<<"$out" || true)
			if [ -z "$opt" ]; then
				[ "$n" -ge 19 ] || fail "IPv$fam: rate limits off, but only $n of 20 Time Exceeded"
			else
				[ "$n" -le 15 ] || fail "IPv$fam: --ratelimit, yet $n of 20 Time Exceeded"
			fi
		done
		"$NETLAB" down >/dev/null 2>&1
	done
}

test_netlab_setup_is_fast_and_down_leaves_nothing() {
	need_root
	trap '"$NETLAB" down >/dev/null 2>&1 || true' EXIT
	local t0 t1 pid
	t0=$(date +%s%N)
	lab_up --routers 5 --responder delay=10
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "netlab up took $(((t1 - t0) / 1000000)) ms"
	pid=$NET_RESPONDER_PID
	[ -n "$pid" ] && kill -0 "$pid" || fail "no responder running"
	[ -f "/etc/netns/$NET_SRC_NS/resolv.conf" ] || fail "no resolv.conf for $NET_SRC_NS"
	grep -qx 'nameserver 127.0.0.1' "/etc/netns/$NET_SRC_NS/resolv.conf" || fail "bad resolv.conf"
	"$NETLAB" status >/dev/null || fail "status says down"
	"$NETLAB" down 2>/dev/null
	"$NETLAB" down 2>/dev/null || fail "a second down failed"
	! ip netns list | grep -q "^nclab-$NETLAB_ID-" || fail "namespaces left: $(ip netns list)"
	! ls -d /etc/netns/nclab-"$NETLAB_ID"-* >/dev/null 2>&1 || fail "/etc/netns folders left"
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -e "/proc/$pid/cmdline" ] && [ -s "/proc/$pid/cmdline" ] || break
		sleep 0.1
	done
	! [ -s "/proc/$pid/cmdline" ] || fail "responder $pid still running"
	! "$NETLAB" status >/dev/null || fail "status says up after down"
}

test_netlab_refuses_bad_use() {
	need_root
	need_cmd setpriv
	trap '"$NETLAB" down >/dev/null 2>&1 || true' EXIT
	"$NETLAB" down 2>/dev/null
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$NETLAB" up
	[ "$rc" != 0 ] || fail "netlab up ran as an ordinary user"
	grep -q root <<<"$err" || fail "no word about root: $err"
	local bad
	for bad in "--routers 0" "--routers x" "--silent 4" "--unreach 0" "--loss 101" \
		"--routers 1 --loop" "--responder delay=-1" "--responder bogus=1" "--frobnicate"; do
		# shellcheck disable=SC2086
		run "$NETLAB" up $bad
		[ "$rc" != 0 ] || fail "netlab up $bad was accepted"
		! ip netns list | grep -q "^nclab-$NETLAB_ID-" || fail "netlab up $bad left namespaces"
	done
}

test_mtu_makes_the_router_answer_fragmentation_needed() {
	lab_up --routers 3 --mtu 2,1400
	[ "${NET_MTU2:-}" = 1400 ] || fail "NET_MTU2=${NET_MTU2:-} for --mtu 2,1400"
	# both ends of the link beyond router 2
	ip -n "nclab-$NETLAB_ID-r2" link show right | grep -q ' mtu 1400 ' || fail "r2 right: not mtu 1400"
	ip -n "nclab-$NETLAB_ID-r3" link show left | grep -q ' mtu 1400 ' || fail "r3 left: not mtu 1400"
	ip -n "nclab-$NETLAB_ID-r2" link show left | grep -q ' mtu 1500 ' || fail "r2 left changed too"
	# 1500-byte packets with Don't Fragment: router 2 names the MTU
	set +e
	out=$(in_src ping -4 -n -c 1 -W 1 -M do -s 1472 "$NET_DST4" 2>&1)
	set -e
	grep -q "^From $NET_ROUTER2_4 .*Frag needed and DF set (mtu = 1400)" <<<"$out" ||
		{ complain "IPv4: no fragmentation needed from router 2"; printf '%s\n' "$out" >&2; return 1; }
	set +e
	out=$(in_src ping -6 -n -c 1 -W 1 -M do -s 1452 "$NET_DST6" 2>&1)
	set -e
	grep -q "^From $NET_ROUTER2_6 .*Packet too big: mtu=1400" <<<"$out" ||
		{ complain "IPv6: no packet too big from router 2"; printf '%s\n' "$out" >&2; return 1; }
	# exactly 1400 bytes pass
	pings -4 "$NET_DST4" 2
	[ "$(received)" = 2 ] || fail "IPv4: small packets lost: $out"
	set +e
	out=$(in_src ping -4 -n -c 1 -W 1 -M do -s 1372 "$NET_DST4" 2>&1)
	set -e
	[ "$(received)" = 1 ] || fail "IPv4: a 1400-byte packet did not pass: $out"
}

test_mtu_refuses_bad_use() {
	need_root
	trap '"$NETLAB" down >/dev/null 2>&1 || true' EXIT
	local bad
	for bad in "--mtu 4,1400" "--mtu 0,1400" "--mtu 2,67" "--mtu 2,65536" "--mtu 2" "--mtu x,1400" \
		"--mtu 2,1400 --mtu 2,1300"; do
		# shellcheck disable=SC2086
		run "$NETLAB" up --routers 3 $bad
		[ "$rc" != 0 ] || fail "netlab up $bad was accepted"
		! ip netns list | grep -q "^nclab-$NETLAB_ID-" || fail "netlab up $bad left namespaces"
	done
}

test_responder_truncates_and_logs_what_it_did() {
	lab_up --routers 1 --responder delay=10,trunc=100
	[ -n "$NET_RESPONDER_EVENTS" ] && [ -f "$NET_RESPONDER_EVENTS" ] || fail "no NET_RESPONDER_EVENTS file"
	local fam dst n
	for fam in 4 6; do
		dst=NET_DST$fam
		pings "-$fam" "${!dst}" 3 0.1
		n=$(grep -c 'truncated' <<<"$out" || true)
		[ "$n" = 3 ] || { complain "IPv$fam: $n truncated replies of 3"; printf '%s\n' "$out" >&2; return 1; }
	done
	# one send line per reply: half the 56 data bytes kept, the delay
	# applied at least the one asked for
	local ev
	for i in $(seq 1 50); do
		[ "$(grep -c '^ev=send ' "$NET_RESPONDER_EVENTS")" -ge 6 ] && break
		sleep 0.1
	done
	ev=$(cat "$NET_RESPONDER_EVENTS")
	for fam in 4 6; do
		n=$(grep -cE "^ev=send fam=$fam from=[^ ]+ to=[^ ]+ id=[0-9]+ seq=[0-9]+ bytes=36 copy=0 planned_ms=10\.000 delay_ms=[0-9.]+ damage=trunc$" <<<"$ev" || true)
		[ "$n" = 3 ] || { complain "IPv$fam: $n matching event lines, want 3"; printf '%s\n' "$ev" >&2; return 1; }
	done
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^delay_ms=/) { split($i, a, "="); if (a[2] < 10) exit 1 } }' <<<"$ev" ||
		fail "a reply left before its 10 ms: $ev"
}

test_responder_logs_its_losses() {
	lab_up --routers 1 --responder loss=50,seed=7
	pings -4 "$NET_DST4" 20 0.02
	local got i drops sends
	got=$(received)
	for i in $(seq 1 50); do
		drops=$(grep -c '^ev=drop why=loss fam=4 ' "$NET_RESPONDER_EVENTS" || true)
		sends=$(grep -c '^ev=send fam=4 .* copy=0 ' "$NET_RESPONDER_EVENTS" || true)
		[ $((drops + sends)) -ge 20 ] && break
		sleep 0.1
	done
	[ $((drops + sends)) = 20 ] || fail "$drops drops and $sends replies logged for 20 requests"
	[ "$sends" = "$got" ] || fail "ping received $got replies, the responder logged $sends"
}
