# check_icmp_rtt (issue 11): what a user sees (exit code, status line,
# perfdata, long output) on loopback and across the lab's chain of network
# namespaces (tests/lab/netlab): routers, a destination that drops, routers
# that answer unreachable, time exceeded or fragmentation needed, and the
# echo responder that delays, loses, duplicates, damages and cuts replies.
#
# Network rules: only loopback and namespaces this test made are ever
# addressed.  Everything sent across the chain is sent from inside its source
# namespace (ip netns exec), after lab_up checked that the namespaces exist.
# Host texts that could be taken for names are only given inside a lab
# namespace, whose resolv.conf names 127.0.0.1 (nothing listens there).
#
# Time: every run has -t 10 or more and waits for replies that come within
# milliseconds (the responder's 20 ms at most); --wait, where set, is 10x or
# more above the slowest reply.  Where a test checks that a run ends early
# (total loss, a FIFO without a writer) the bound is 10x what the run needs,
# or -t plus SLACK_MS (lib.sh).

. "$TOP/tests/fake/lib.sh"

# A chain of our own per test (nclab-ID-*), so that concurrent runs of this
# file (or of t_lab_net) never share or remove each other's namespaces.
export NETLAB_ID=icmp$$
# A responder left behind by a killed test ends by itself after this long.
export NETLAB_RESPONDER_LIFE=300
LABELS=(rta pl rtmin rtmax jitter mos time)
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

. "$TOP/tests/integration/netlab.sh"

# Skips unless this user can send ICMP echo here (root, cap_net_raw, or a
# group inside net.ipv4.ping_group_range).
need_icmp() {
	run "$ICMP" -n 1 -t 10 127.0.0.1
	if [ "$rc" = 3 ] && [[ $status_line == *"no ICMP socket"* ]]; then
		skip "cannot send ICMP as $(id -un): ${status_line#ICMP UNKNOWN - }"
	fi
}


# The long output line of -v with a host's counts ("H: N sent, N received,
# ..., N duplicates, N reordered").
counts_line() { grep -E "^$(rq "$1"): [0-9]+ sent, " <<<"$out" || true; }
# "N messages ignored" of -vvv.
ignored() { sed -n 's/^\([0-9][0-9]*\) messages ignored .*/\1/p' <<<"$out"; }

# Responder event lines (tests/lab/responder/echo_responder.py --events)
# after line $1 of the log, once at least $2 requests are logged (the
# responder writes a line just after it sends; bounded wait).
events_after() {
	local from=$1 want=$2 i n
	for i in $(seq 1 100); do
		n=$(tail -n +"$((from + 1))" "$NET_RESPONDER_EVENTS" |
			grep -cE '^ev=drop |^ev=send .* copy=0 ' || true)
		[ "$n" -ge "$want" ] && break
		sleep 0.1
	done
	tail -n +"$((from + 1))" "$NET_RESPONDER_EVENTS"
}
event_lines() { wc -l <"$NET_RESPONDER_EVENTS"; }

# |a - b| <= limit, as numbers.
within() { awk -v a="$1" -v b="$2" -v l="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= l) }'; }

# ---- loopback -------------------------------------------------------------

test_loopback_ipv4_and_ipv6_are_ok_with_every_label() {
	need_icmp
	local h
	for h in 127.0.0.1 ::1; do
		run "$ICMP" -n 3 -i 20ms "$h"
		expect_rc 0
		expect_status "^ICMP OK - $(rq "$h"): rta [0-9.]+ ms, lost 0% \|"
		expect_perf_labels "${LABELS[@]}"
		expect_perf_value pl '^0%$'
		expect_perf_value rta '^[0-9.]+ms$'
		expect_perf_value rtmin '^[0-9.]+ms$'
		expect_perf_value rtmax '^[0-9.]+ms$'
		expect_perf_value jitter '^[0-9.]+ms$'
		expect_perf_value mos '^[0-9.]+$'
		expect_perf_value time '^[0-9.]+s$'
	done
}

test_several_loopback_hosts_from_H_g_and_f() {
	need_icmp
	local want h l
	# -H lists, repeated -H and a bare argument, IPv4 and IPv6 together
	run "$ICMP" -n 2 -i 10ms -H 127.0.0.1,127.0.0.2 -H ::1 127.0.0.3
	expect_rc 0
	expect_status '^ICMP OK - 4 of 4 hosts OK \|'
	want=()
	for h in 127.0.0.1 127.0.0.2 ::1 127.0.0.3; do
		for l in rta pl rtmin rtmax jitter mos; do want+=("$h$l"); done
		expect_out "^\[OK\] $(rq "$h"): rta [0-9.]+ ms, lost 0%$"
		expect_perf_value "${h}pl" '^0%$'
	done
	expect_perf_labels "${want[@]}" time

	# -g: every host address of 127.0.0.0/29 (not .0 and .7)
	run "$ICMP" -n 2 -i 10ms -g 127.0.0.0/29
	expect_rc 0
	expect_status '^ICMP OK - 6 of 6 hosts OK \|'
	want=()
	for h in 1 2 3 4 5 6; do
		for l in rta pl rtmin rtmax jitter mos; do want+=("127.0.0.$h$l"); done
		expect_out "^\[OK\] 127\.0\.0\.$h: "
	done
	expect_perf_labels "${want[@]}" time

	# -f FILE with comments, blank lines and blanks, then -f - (stdin)
	local f
	f=$(mktemp)
	at_exit "rm -f '$f'"
	chmod 644 "$f"     # readable to the user the plugin becomes (root: 65534)
	printf '# loopback hosts\n127.0.0.1\n\n   127.0.0.2   # the second\n\t::1\n#127.0.0.9\n' >"$f"
	run bash -c 'printf "# from stdin\n127.0.0.4\n" | "$1" -n 2 -i 10ms -f "$2" -f -' _ "$ICMP" "$f"
	expect_rc 0
	expect_status '^ICMP OK - 4 of 4 hosts OK \|'
	want=()
	for h in 127.0.0.1 127.0.0.2 ::1 127.0.0.4; do
		for l in rta pl rtmin rtmax jitter mos; do want+=("$h$l"); done
	done
	expect_perf_labels "${want[@]}" time
	expect_no_out '127\.0\.0\.9'
}

test_fifo_without_a_writer_ends_by_t() {
	need_icmp
	local d
	d=$(mktemp -d)
	at_exit "rm -rf '$d'"
	chmod 755 "$d"     # open to the user the plugin becomes (root: 65534)
	mkfifo -m 644 "$d/hosts"
	# Alone, and with a host of its own: either way the run ends by its -t
	# (plus the slack of a busy machine), UNKNOWN or the -t state, and
	# says which file gave nothing; never OK for the host that was given,
	# as if the file had been read.
	local extra
	for extra in "" 127.0.0.1; do
		# shellcheck disable=SC2086
		timed timeout -k 5 30 "$ICMP" -n 2 -i 10ms -t 1 -f "$d/hosts" $extra
		[ "$rc" = 3 ] || [ "$rc" = 2 ] || { complain "exit code $rc, want 3 or 2 (-f ${extra:+and -H})"; show_run; return 1; }
		expect_elapsed_below $((1000 + SLACK_MS))
		expect_status "$(rq "$d/hosts")"
	done
}

test_fifo_whose_writer_comes_late_is_read() {
	need_icmp
	local d writer
	d=$(mktemp -d)
	chmod 755 "$d"
	mkfifo -m 644 "$d/hosts"
	# The writer opens the FIFO 0.3 s after the run started (10x less than
	# the run's -t); if the run never opens it again, timeout ends it.
	timeout 20 sh -c 'sleep 0.3; printf "127.0.0.1\n::1\n" >"$1"' _ "$d/hosts" &
	writer=$!
	at_exit "kill $writer; rm -rf '$d'"
	run "$ICMP" -n 2 -i 10ms -t 10 -f "$d/hosts"
	expect_rc 0
	expect_status '^ICMP OK - 2 of 2 hosts OK \|'
}

test_bad_arguments_are_unknown_with_a_clear_message() {
	local args want
	# (every host here is loopback: should a bad option be taken, nothing
	# leaves the machine)
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run timeout -k 5 30 "$ICMP" $args
		expect_rc 3
		expect_status "^ICMP UNKNOWN - $want"
	done <<'EOF'
|no host to ping \(-H, -f or -g\)
-H 127.0.0.1,,127.0.0.2|-H: '' is not a host name or address
-g 127.0.0.0/15|'127\.0\.0\.0/15' has more than 65536 addresses
-g 127.0.0.0/33|'127\.0\.0\.0/33': the prefix must be 0 to 32
-n 0 127.0.0.1|-n: '0' is out of range \(1 to 10000\)
-n x 127.0.0.1|-n: 'x' is not an integer
-b 11 127.0.0.1|-b: '11' is out of range \(12 to 65507\)
-b 65508 127.0.0.1|-b: '65508' is out of range \(12 to 65507\)
-w foo 127.0.0.1|-w: 'foo' is not a number
-w 200,40%x 127.0.0.1|-w: '40%x' has an unknown unit
-w 200,140% 127.0.0.1|-w: '200,140%': a loss above 100%
-c -5,80% 127.0.0.1|-c: '-5' is negative
-l 0 127.0.0.1|-l: '0' is out of range \(1 to 255\)
-i 5x 127.0.0.1|-i: '5x' has an unknown unit
-t 0 127.0.0.1|-t: '0' is out of range
--rate 0 127.0.0.1|--rate: '0' is out of range
-f /nonexistent/hosts|cannot read /nonexistent/hosts: No such file or directory
-n 5 -i 1s -t 3 127.0.0.1|5 packets 1 s apart to 1 host and 1 s to wait for the last reply need 5 s; -t allows 3 s
-g 127.0.0.0/16 -n 100 -i 0.01ms -I 0|65534 hosts x 100 packets is more than 1000000 requests a run
EOF
}

test_bad_host_text_is_unknown_naming_it() {
	# Inside a lab namespace: should the plugin take one of these for a
	# name, its lookup goes to 127.0.0.1 there, not to this machine's
	# resolver.
	lab_up --routers 1
	local h
	for h in 'a b' '127.0.0.1/24' '[::1]' 'bad!host' 'nosuch..host' '::1::2' '999.1.1.1'; do
		run in_src "$ICMP" -n 1 -t 10 -H "$h"
		expect_rc 3
		expect_status "^ICMP UNKNOWN - .*'$(rq "$h")'"
	done
}

# ---- across routers ---------------------------------------------------------

test_host_behind_three_routers_is_ok() {
	lab_up
	local fam dst
	for fam in 4 6; do
		dst=NET_DST$fam
		run in_src "$ICMP" -n 3 -i 20ms "-$fam" "${!dst}"
		expect_rc 0
		expect_status "^ICMP OK - $(rq "${!dst}"): rta [0-9.]+ ms, lost 0% \|"
		expect_perf_labels "${LABELS[@]}"
		expect_perf_value pl '^0%$'
	done
	run in_src "$ICMP" -n 3 -i 20ms "$NET_DST4" "$NET_DST6"
	expect_rc 0
	expect_status '^ICMP OK - 2 of 2 hosts OK \|'
}

test_ttl_running_out_names_router_2() {
	lab_up
	local fam dst r2
	for fam in 4 6; do
		dst=NET_DST$fam r2=NET_ROUTER2_$fam
		run in_src "$ICMP" -n 3 -i 20ms -l 2 "${!dst}"
		expect_rc 2
		expect_status "^ICMP CRITICAL - $(rq "${!dst}"): 100% lost .*time to live exceeded from $(rq "${!r2}") \|"
		expect_perf_labels "${LABELS[@]}"
		expect_perf_value pl '^100%$'
		expect_perf_value rta '^U$'
	done
}

test_total_loss_is_critical_keeps_labels_and_ends_after_the_wait() {
	lab_up --routers 2 --dest-drop
	local l
	# 3 packets 100 ms apart and a 500 ms wait: done after 0.7 s; the bound
	# is 10x that, and -t is far beyond it.
	timed in_src "$ICMP" -n 3 -i 100ms --wait 500ms -t 20 "$NET_DST4"
	expect_rc 2
	expect_status "^ICMP CRITICAL - $(rq "$NET_DST4"): 100% lost \(critical at 80%\) \|"
	expect_no_out 'timed out|-t ran out|not measured'
	expect_perf_labels "${LABELS[@]}"
	expect_perf_value pl '^100%$'
	for l in rta rtmin rtmax jitter mos; do expect_perf_value "$l" '^U$'; done
	expect_elapsed_below 7000
	# The defaults (5 packets 200 ms apart, a 1 s wait: 1.8 s), IPv6.
	timed in_src "$ICMP" -t 30 "$NET_DST6"
	expect_rc 2
	expect_status "^ICMP CRITICAL - $(rq "$NET_DST6"): 100% lost \(critical at 80%\) \|"
	expect_no_out 'timed out|-t ran out|not measured'
	expect_perf_labels "${LABELS[@]}"
	for l in rta rtmin rtmax jitter mos; do expect_perf_value "$l" '^U$'; done
	expect_perf_value pl '^100%$'
	expect_elapsed_below 18000
}

test_router_answering_net_unreachable_is_named() {
	lab_up --unreach 2
	local fam dst r2
	for fam in 4 6; do
		dst=NET_DST$fam r2=NET_ROUTER2_$fam
		run in_src "$ICMP" -n 3 -i 20ms "${!dst}"
		expect_rc 2
		expect_status "^ICMP CRITICAL - $(rq "${!dst}"): 100% lost .*network unreachable from $(rq "${!r2}") \|"
		expect_perf_labels "${LABELS[@]}"
	done
}

test_address_nobody_has_is_host_unreachable_from_the_last_router() {
	lab_up --routers 2
	# .3 / ::3 on the last link: router 2 finds no neighbour (about 3 s of
	# ARP / neighbour discovery) and answers host unreachable; --wait and
	# -t are 10x and 20x that.
	local h4=198.18.2.3 h6=2001:db8:0:2::3
	run in_src "$ICMP" -n 1 --wait 30s -t 60 "$h4" "$h6"
	expect_rc 2
	expect_status "^ICMP CRITICAL - 0 of 2 hosts OK; CRITICAL: "
	expect_out "^\[CRITICAL\] $(rq "$h4"): 100% lost .*host unreachable from $(rq "$NET_ROUTER2_4")$"
	expect_out "^\[CRITICAL\] $(rq "$h6"): 100% lost .*host unreachable from $(rq "$NET_ROUTER2_6")$"
	expect_perf_value "${h4}rta" '^U$'
	expect_perf_value "${h6}pl" '^100%$'
}

test_fragmentation_needed_names_the_mtu_and_the_router() {
	lab_up --mtu 2,1400
	[ "${NET_MTU2:-}" = 1400 ] || fail "netlab did not set the MTU: NET_MTU2=${NET_MTU2:-}"
	# 1472 data bytes: a 1500-byte IPv4 packet; 1452: a 1500-byte IPv6 one.
	run in_src "$ICMP" -n 3 -i 50ms -M -b 1472 "$NET_DST4"
	expect_rc 2
	expect_status "^ICMP CRITICAL - $(rq "$NET_DST4"): 100% lost .*fragmentation needed \(MTU 1400\) from $(rq "$NET_ROUTER2_4") \|"
	expect_perf_labels "${LABELS[@]}"
	run in_src "$ICMP" -n 3 -i 50ms -M -b 1452 "$NET_DST6"
	expect_rc 2
	expect_status "^ICMP CRITICAL - $(rq "$NET_DST6"): 100% lost .*fragmentation needed \(MTU 1400\) from $(rq "$NET_ROUTER2_6") \|"
	# Without -M, IPv4 is fragmented on the way: it gets through.
	run in_src "$ICMP" -n 3 -i 50ms -b 1472 "$NET_DST4"
	expect_rc 0
	expect_status "^ICMP OK - $(rq "$NET_DST4"): rta [0-9.]+ ms, lost 0% \|"
	# One request, the router's answer alone (nothing the kernel learnt
	# since): the same text.
	"$NETLAB" down >/dev/null 2>&1
	lab_up --mtu 2,1400
	run in_src "$ICMP" -n 1 -M -b 1472 "$NET_DST4"
	expect_rc 2
	expect_status "fragmentation needed \(MTU 1400\) from $(rq "$NET_ROUTER2_4") \|"
}

# ---- damaged, cut and repeated replies ----------------------------------------

# damaged_replies_are_lost SPEC FAMILIES: with the responder set to SPEC,
# every reply is damaged: 100% lost, and (where the plugin gets to see the
# damaged message: not IPv6 with a wrong checksum, which the kernel drops)
# -vvv counts one ignored message per reply at least.
damaged_replies_are_lost() {
	local spec=$1 fams=$2 fam dst
	lab_up --routers 1 --responder "$spec"
	for fam in $fams; do
		dst=NET_DST$fam
		run in_src "$ICMP" -vvv -n 3 -i 20ms --wait 500ms "${!dst}"
		expect_rc 2
		expect_status "^ICMP CRITICAL - $(rq "${!dst}"): 100% lost "
		expect_perf_value pl '^100%$'
		expect_perf_value rta '^U$'
		[[ "$spec,$fam" == *cmode=checksum*,6 ]] && continue
		[ "$(ignored)" -ge 3 ] 2>/dev/null ||
			{ complain "$spec IPv$fam: want 3 or more messages ignored, -vvv says '$(ignored)'"; show_run; return 1; }
	done
	"$NETLAB" down >/dev/null 2>&1
}

test_replies_with_a_wrong_checksum_are_ignored() {
	damaged_replies_are_lost corrupt=100,cmode=checksum "4 6"
}

test_replies_with_a_damaged_payload_are_ignored() {
	damaged_replies_are_lost corrupt=100,cmode=payload "4 6"
}

test_truncated_replies_are_ignored() {
	# the header and half the data: the start of the data (where a tag
	# would be) is there, the rest is missing
	damaged_replies_are_lost trunc=100 "4 6"
	# the header alone
	damaged_replies_are_lost trunc=100,tlen=8 "4 6"
}

test_duplicates_are_counted_not_taken_for_replies() {
	lab_up --routers 1 --responder dup=2
	local fam dst line dups
	for fam in 4 6; do
		dst=NET_DST$fam
		run in_src "$ICMP" -v -n 5 -i 20ms "${!dst}"
		expect_rc 0
		expect_status "^ICMP OK - $(rq "${!dst}"): rta [0-9.]+ ms, lost 0% \|"
		expect_perf_value pl '^0%$'
		line=$(counts_line "${!dst}")
		[[ $line == *": 5 sent, 5 received,"* ]] || { complain "IPv$fam: want 5 sent, 5 received"; show_run; return 1; }
		dups=$(sed -n 's/.*, \([0-9][0-9]*\) duplicates.*/\1/p' <<<"$line")
		# two copies of every reply; those of the last one may come after
		# the run ended
		[ -n "$dups" ] && [ "$dups" -ge 8 ] && [ "$dups" -le 10 ] ||
			{ complain "IPv$fam: want 8 to 10 duplicates, got '$dups'"; show_run; return 1; }
	done
}

# ---- concurrent runs ------------------------------------------------------------

# concurrent_runs WHO... : 20 runs at once, run $k against 127.0.0.(100+k),
# each with -vvv; each must be OK with all its replies, no duplicates, and
# name no host but its own.  Sets $outs (the folder of the outputs).
concurrent_runs() {
	local k pids=() h other
	outs=$(mktemp -d)
	at_exit "rm -rf '$outs'"
	for k in $(seq 1 20); do
		"$@" "$ICMP" -vvv -n 20 -i 10ms -t 20 "127.0.0.$((100 + k))" >"$outs/$k" 2>&1 &
		pids+=($!)
		echo $! >"$outs/$k.pid"
	done
	at_exit "for p in ${pids[*]}; do kill \$p; done"
	for k in $(seq 1 20); do
		set +e
		wait "${pids[$((k - 1))]}"
		echo $? >"$outs/$k.rc"
		set -e
	done
	for k in $(seq 1 20); do
		h=127.0.0.$((100 + k))
		out=$(cat "$outs/$k") rc=$(cat "$outs/$k.rc") err=
		status_line=${out%%$'\n'*}
		expect_rc 0
		expect_status "^ICMP OK - $(rq "$h"): rta [0-9.]+ ms, lost 0% \|"
		expect_out "^$(rq "$h"): 20 sent, 20 received, .*, 0 duplicates, "
		other=$(grep -oE '127\.0\.0\.[0-9]+' <<<"$out" | sort -u | grep -vxF "$h" || true)
		[ -z "$other" ] || { complain "run $k ($h) names other hosts: $(echo $other)"; show_run; return 1; }
	done
}

test_20_concurrent_raw_runs_each_see_only_their_own_replies() {
	need_root
	concurrent_runs
	# raw sockets see every echo reply of the machine: the others' are
	# ignored, never taken
	local k
	for k in $(seq 1 20); do
		grep -q '^IPv4: raw socket' "$outs/$k" || { complain "run $k: not on a raw socket"; cat "$outs/$k" >&2; return 1; }
	done
}

test_20_concurrent_unprivileged_runs_each_see_only_their_own_replies() {
	lab_up --routers 1 --unpriv
	concurrent_runs in_src "${NOBODY[@]}"
	# datagram sockets get only the replies to their own identifier: not
	# one foreign message
	local k
	for k in $(seq 1 20); do
		out=$(cat "$outs/$k") rc=0 err=
		expect_out '^IPv4: datagram \(unprivileged\) socket'
		[ "$(ignored)" = 0 ] || { complain "run $k: $(ignored) messages ignored, want 0"; show_run; return 1; }
	done
}

# ---- privileges ---------------------------------------------------------------

test_unprivileged_datagram_path_works_with_ping_group_range() {
	lab_up --routers 1 --unpriv
	[ "$(in_src cat /proc/sys/net/ipv4/ping_group_range | tr -s ' \t' ' ')" = "0 2147483647" ] ||
		fail "--unpriv did not open ping_group_range"
	run in_src "${NOBODY[@]}" "$ICMP" -vv -n 3 -i 20ms 127.0.0.1 ::1 "$NET_DST4" "$NET_DST6"
	expect_rc 0
	expect_status '^ICMP OK - 4 of 4 hosts OK \|'
	expect_out '^IPv4: datagram \(unprivileged\) socket'
	expect_out '^IPv6: datagram \(unprivileged\) socket'
	run in_src "${NOBODY[@]}" "$ICMP" -vvv -n 1 127.0.0.1
	expect_rc 0
	expect_out '^running as uid 65534 '
}

test_unprivileged_without_ping_group_range_says_how_to_fix_it() {
	lab_up --routers 1
	[ "$(in_src cat /proc/sys/net/ipv4/ping_group_range | tr -s ' \t' ' ')" = "1 0" ] ||
		fail "ping_group_range is open in a namespace made without --unpriv"
	local want_sysctl='sysctl -w net.ipv4.ping_group_range="0 2147483647"' real
	real=$(readlink -f "$ICMP")
	run in_src "${NOBODY[@]}" "$ICMP" -n 1 127.0.0.1
	expect_rc 3
	expect_status '^ICMP UNKNOWN - '
	[[ $status_line == *"$want_sysctl"* ]] || { complain "no '$want_sysctl' in the message"; show_run; return 1; }
	[[ $status_line == *"setcap cap_net_raw+ep $ICMP"* || $status_line == *"setcap cap_net_raw+ep $real"* ]] ||
		{ complain "no 'setcap cap_net_raw+ep $ICMP' in the message"; show_run; return 1; }
}

test_raw_path_as_root_drops_every_privilege() {
	need_root
	run "$ICMP" -vvv -n 2 -i 10ms 127.0.0.1 ::1
	expect_rc 0
	expect_out '^IPv4: raw socket'
	expect_out '^IPv6: raw socket'
	expect_out '^running as uid 65534 65534 65534 65534, gid 65534 65534 65534 65534, CapEff 0000000000000000$'
}

# ---- accuracy -------------------------------------------------------------------

test_rta_is_within_1ms_of_the_delay_the_responder_applied() {
	lab_up --routers 2 --responder delay=20,jitter=5
	local fam dst from ev n mean rta
	for fam in 4 6; do
		dst=NET_DST$fam
		from=$(event_lines)
		run in_src "$ICMP" -n 50 -i 20ms "${!dst}"
		expect_rc 0
		expect_perf_value pl '^0%$'
		ev=$(events_after "$from" 50 | grep -E "^ev=send fam=$fam .* to=$(rq "${!dst}") .* copy=0 ")
		n=$(grep -c . <<<"$ev")
		[ "$n" = 50 ] || fail "IPv$fam: the responder logged $n replies, want 50"
		mean=$(sed 's/.* delay_ms=\([0-9.]*\).*/\1/' <<<"$ev" | awk '{ s += $1 } END { printf "%.4f", s / NR }')
		rta=$(perf_value rta)
		rta=${rta%ms}
		within "$rta" "$mean" 1 ||
			{ complain "IPv$fam: rta $rta ms, the responder applied $mean ms on average"; show_run; return 1; }
	done
}

test_loss_is_within_5_points_of_the_loss_the_responder_applied() {
	lab_up --routers 2 --responder loss=20
	local from ev fam dst req lost pl applied sum_pl=0 all_req=0 all_lost=0
	from=$(event_lines)
	# 500 probes: 250 to each family
	run in_src "$ICMP" -n 250 -i 5ms "$NET_DST4" "$NET_DST6"
	ev=$(events_after "$from" 500)
	for fam in 4 6; do
		dst=NET_DST$fam
		req=$(grep -cE "^ev=(drop why=loss|send) fam=$fam .*to=$(rq "${!dst}") " <<<"$(grep -vE ' copy=[1-9]' <<<"$ev")" || true)
		lost=$(grep -cE "^ev=drop why=loss fam=$fam " <<<"$ev" || true)
		[ "$req" = 250 ] || fail "IPv$fam: the responder saw $req requests, want 250"
		applied=$(awk -v l="$lost" -v r="$req" 'BEGIN { printf "%.2f", 100 * l / r }')
		pl=$(perf_value "${!dst}pl")
		pl=${pl%\%}
		within "$pl" "$applied" 5 ||
			{ complain "IPv$fam: reported loss $pl%, the responder dropped $applied%"; show_run; return 1; }
		sum_pl=$(awk -v a="$sum_pl" -v b="$pl" 'BEGIN { print a + b }')
		all_req=$((all_req + req)) all_lost=$((all_lost + lost))
	done
	applied=$(awk -v l="$all_lost" -v r="$all_req" 'BEGIN { printf "%.2f", 100 * l / r }')
	within "$(awk -v s="$sum_pl" 'BEGIN { print s / 2 }')" "$applied" 5 ||
		fail "over 500 probes: reported $(awk -v s="$sum_pl" 'BEGIN { print s / 2 }')%, applied $applied%"
}

# ---- names, thresholds, verdicts, formats ------------------------------------

# 100 names at a DNS server that takes 0.2 s over every answer (dnsfake,
# loopback): one after the other they would need 20 s, twice -t; looked up
# at once every host is pinged well within it.  A name that does not exist
# is CRITICAL for that host alone, with its labels all U.
test_names_resolve_at_once_and_a_bad_one_fails_alone() {
	need_icmp
	local spec=() i hosts=() l
	for i in $(seq 1 100); do
		spec+=("$i h$i.fake.test=127.0.1.$i")
		hosts+=("h$i.fake.test")
	done
	spec+=("101 gone.fake.test=none")
	fake_start dnsfake --mode slow 0.2 --max-seconds 60 --mx "$(IFS=,; echo "${spec[*]}")"
	timed "$ICMP" -4 --dns-server "127.0.0.1:$FAKE_PORT" -n 2 -i 10ms -t 10 \
		"${hosts[@]}" gone.fake.test
	expect_rc 2
	expect_status '^ICMP CRITICAL - 100 of 101 hosts OK; CRITICAL: gone\.fake\.test \(.*no such domain'
	expect_out '^\[OK\] h1\.fake\.test \(127\.0\.1\.1\): rta [0-9.]+ ms, lost 0%$'
	expect_out '^\[OK\] h100\.fake\.test \(127\.0\.1\.100\): rta [0-9.]+ ms, lost 0%$'
	expect_no_out 'not looked up|not measured|timed out'
	for l in rta pl rtmin rtmax jitter mos; do expect_perf_value "gone.fake.test$l" '^U$'; done
	expect_perf_value h50.fake.testpl '^0%$'
	expect_elapsed_below 10000
	[ "$(grep -c '^Q: ' "$FAKE_LOG")" -ge 101 ] || fail "dnsfake saw $(grep -c '^Q: ' "$FAKE_LOG") queries"
}

# -m N (check_icmp -m): with several hosts, OK while N of them are OK.
test_min_alive_decides_the_state_of_several_hosts() {
	lab_up --routers 2 --dest-drop
	run in_src "$ICMP" -n 2 -i 20ms --wait 500ms -m 2 "$NET_ROUTER1_4" "$NET_ROUTER2_4" "$NET_DST4"
	expect_rc 0
	expect_status "^ICMP OK - 2 of 3 hosts OK \(at least 2 needed\); CRITICAL: $(rq "$NET_DST4") \(100% lost"
	expect_out "^\[CRITICAL\] $(rq "$NET_DST4"): 100% lost"
	run in_src "$ICMP" -n 2 -i 20ms --wait 500ms -m 3 "$NET_ROUTER1_4" "$NET_ROUTER2_4" "$NET_DST4"
	expect_rc 2
	expect_status '^ICMP CRITICAL - 2 of 3 hosts OK \(at least 3 needed\)'
	# without -m the worst host decides
	run in_src "$ICMP" -n 2 -i 20ms --wait 500ms "$NET_ROUTER1_4" "$NET_DST4"
	expect_rc 2
	expect_status '^ICMP CRITICAL - 1 of 2 hosts OK; CRITICAL: '
}

# Round trip, jitter and MOS thresholds against replies the responder holds
# 20 ms (+- 5): each breach is named with the limit it broke, worst first,
# and the perfdata carries the thresholds.
test_thresholds_name_the_limit_they_broke() {
	lab_up --routers 1 --responder delay=20,jitter=5
	run in_src "$ICMP" -n 5 -i 20ms -w 10,40% -c 500,80% "$NET_DST4"
	expect_rc 1
	expect_status "^ICMP WARNING - $(rq "$NET_DST4"): rta [0-9.]+ ms \(warning at 10 ms\), lost 0% \|"
	expect_perf_value rta '^[0-9.]+ms$'
	expect_out ' rta=[0-9.]+ms;10;500;0 pl=0%;40;80;0;100 '
	run in_src "$ICMP" -n 5 -i 20ms -w 5,40% -c 15,80% "$NET_DST4"
	expect_rc 2
	expect_status "^ICMP CRITICAL - $(rq "$NET_DST4"): rta [0-9.]+ ms \(critical at 15 ms\), lost 0% \|"
	# the jitter of 20 +- 5 ms is above 0.001 ms and below 1 s; a MOS is
	# at most 4.5
	run in_src "$ICMP" -n 5 -i 20ms --jitter 0.001,1000 --mos 4.5,1 "$NET_DST4"
	expect_rc 1
	expect_status "^ICMP WARNING - $(rq "$NET_DST4"): rta [0-9.]+ ms, lost 0%, jitter [0-9.]+ ms \(warning at 0\.001 ms\), mos [0-9.]+ \(warning at 4\.5\) \|"
	expect_out ' jitter=[0-9.]+ms;0\.001;1000;0 mos=[0-9.]+;4\.5:;1:;0;5 '
}

# --output json: one document, with the state, every host's result and
# every metric with its unit.
test_json_output_of_several_hosts() {
	need_icmp
	need_cmd python3
	run "$ICMP" -n 2 -i 10ms --output json 127.0.0.1 ::1
	expect_rc 0
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["service"] == "ICMP" and d["state"] == "OK" and d["exit_code"] == 0, d
assert d["summary"] == "2 of 2 hosts OK", d["summary"]
labels = [m["label"] for m in d["metrics"]]
want = [h + l for h in ("127.0.0.1", "::1") for l in ("rta", "pl", "rtmin", "rtmax", "jitter", "mos")]
assert labels == want + ["time"], labels
assert [m["uom"] for m in d["metrics"]][:6] == ["ms", "%", "ms", "ms", "ms", ""]
assert [r["state"] for r in d["results"]] == ["OK", "OK"], d["results"]
' <<<"$out" || fail "unexpected JSON: $out"
}

# -s: an address of the host's family sends from it; a name that is
# neither an address nor an interface is refused.
test_source_address_or_device() {
	need_icmp
	run "$ICMP" -n 2 -i 10ms -s 127.0.0.2 127.0.0.1
	expect_rc 0
	expect_status '^ICMP OK - 127\.0\.0\.1: '
	run "$ICMP" -n 2 -i 10ms -s lo 127.0.0.1
	expect_rc 0
	run "$ICMP" -n 2 -i 10ms -s nosuchdevice0 127.0.0.1
	expect_rc 3
	expect_status "^ICMP UNKNOWN - -s: 'nosuchdevice0' is neither an address nor a network interface"
}
