# check_hops: what a user sees (exit code, status line, perfdata, the hop
# table of the long output) when it traces across the lab's chain of network
# namespaces (tests/lab/netlab): chains of 1, 5 and 12 routers with ICMP, UDP
# and TCP probes over IPv4 and IPv6, a router that stays silent, a
# destination that drops every probe, a router that answers net unreachable
# (!N) or fragmentation needed (!F), a routing loop; the verdicts on the path
# (--expect-hop, --via, --avoid, -w/-c on the hop count, round trip and loss
# thresholds, --baseline), per-hop perfdata, reverse names (-r with dnsfake),
# unprivileged runs, and bad input.
#
# Network rules: only the chain this test made (198.18.0.0/15, 2001:db8::/32
# inside its namespaces) and loopback inside its source namespace are ever
# addressed.  Every run of the plugin, and the DNS fake, run inside the
# chain's source namespace (in_src: ip netns exec), after lab_up checked that
# the namespaces exist.  Bad input is given inside a lab namespace too, so
# that a text taken for a name is asked of 127.0.0.1 there (nothing listens).
#
# Time: every run has -t 10 (or -t 1 where running into -t is the point);
# routers in the lab answer within a millisecond, so a trace that reaches
# its destination needs tens of ms.  Bounds, where a test checks that a run
# ends early, are 10x or more what the run needs: a silent hop waits ~10 ms
# once a later hop answered (bound 3 s, the probe's longest wait); --dest-drop
# with --wait 300ms needs ~0.6 s (bound: its -t plus SLACK_MS, lib.sh); a
# run that runs into -t 1 ends by 1 s plus SLACK_MS; a baseline FIFO or
# folder must not block the run (bound 5 s, half its -t).

. "$TOP/tests/fake/lib.sh"

# A chain of our own per test (nclab-ID-*), so that concurrent runs of this
# file (or of t_lab_net, t_icmp_rtt) never share or remove each other's
# namespaces.
export NETLAB_ID=hops$$
T=10
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

. "$TOP/tests/integration/netlab.sh"

# hops ARGS... / timed_hops ARGS...: check_hops -t $T ARGS... in the source
# namespace, as run / timed.
hops() { run in_src "$HOPS" -t "$T" "$@"; }
timed_hops() { timed in_src "$HOPS" -t "$T" "$@"; }

# step TEXT: what the test does next; shown with the log when it fails.
step() { printf '  -- %s\n' "$*" >&2; }

# Addresses of the hop table's rows, in hop order, space separated ("*" for a
# hop that did not answer).
table_addrs() { awk '/^ +[0-9]+  / { printf "%s%s", sep, $2; sep = " " } END { print "" }' <<<"$out"; }

# expect_table ADDR...: the table lists exactly these hops, in this order.
expect_table() {
	local want="$*" got
	got=$(table_addrs)
	[ "$want" = "$got" ] && return 0
	complain "table rows differ: want [$want] got [$got]"; show_run; return 1
}

# expect_row N RE: the table row of hop N matches RE.
expect_row() {
	local line
	line=$(grep -E "^ +$1  " <<<"$out" || true)
	[ -n "$line" ] || { complain "no table row for hop $1"; show_run; return 1; }
	[[ $line =~ $2 ]] && return 0
	complain "the row of hop $1 does not match /$2/: '$line'"; show_run; return 1
}

# expect_perf_raw TEXT: the perfdata holds TEXT (with thresholds) verbatim.
expect_perf_raw() {
	[[ " $perf " == *" $1 "* ]] && return 0
	complain "no '$1' in the perfdata"; show_run; return 1
}

# The hops of family $1 with hop $2 (1-based) as "*".
hops_with_star() {
	local list=NET_HOPS$1 a=() i
	read -ra a <<<"${!list}"
	i=$(($2 - 1))
	a[i]='*'
	echo "${a[*]}"
}

# ---- reaching the destination ---------------------------------------------

# chain_is_ok: every family and protocol reaches the destination of the
# chain that is up in NET_HOPS hops, listed in order.
chain_is_ok() {
	local fam p dst list
	for fam in 4 6; do
		dst=NET_DST$fam list=NET_HOPS$fam
		for p in icmp udp tcp; do
			step "$NET_ROUTERS routers, IPv$fam, -P $p"
			hops -P "$p" -H "${!dst}"
			expect_rc 0
			expect_status "^HOPS OK - $(rq "${!dst}") reached in $NET_HOPS hops, rtt [0-9.]+ ms, 0% lost \|"
			expect_perf_labels hops rtt pl time
			expect_perf_value hops "^$NET_HOPS\$"
			expect_perf_value pl '^0%$'
			expect_perf_value rtt '^[0-9.]+ms$'
			expect_perf_raw "hops=$NET_HOPS;;;1;30"
			expect_table "${!list}"
			expect_row "$NET_HOPS" '^ +[0-9]+  [0-9a-f.:]+ +0\.0% +3 +[0-9.]+ +[0-9.]+ +[0-9.]+$'
		done
	done
}

test_chains_of_1_5_and_12_routers_are_ok_with_every_protocol() {
	local n
	for n in 1 5 12; do
		lab_up --routers "$n"
		chain_is_ok
	done
}

# A router that sends no Time Exceeded is a "*" row; the trace goes on, and
# the silent hop waits only a moment, since later hops answered.
test_silent_router_is_a_star_and_costs_little_time() {
	lab_up --routers 5 --silent 2
	local fam p dst
	for fam in 4 6; do
		dst=NET_DST$fam
		for p in icmp udp tcp; do
			step "IPv$fam, -P $p"
			timed_hops -P "$p" -H "${!dst}"
			expect_rc 0
			expect_status "^HOPS OK - $(rq "${!dst}") reached in $NET_HOPS hops, rtt [0-9.]+ ms, 0% lost \|"
			expect_perf_value hops "^$NET_HOPS\$"
			expect_table "$(hops_with_star "$fam" 2)"
			expect_row 2 '^ +2  \* +100\.0% +3 *$'
			expect_elapsed_below 3000
		done
	done
}

# ---- not reaching it -----------------------------------------------------

test_destination_that_drops_is_critical_naming_the_last_router() {
	lab_up --routers 2 --dest-drop
	# Up to -m (30): hops 3 to 30 stay silent, each waits --wait 300ms
	# (16 at once): about 0.6 s.
	step "IPv4 ICMP, up to -m"
	timed_hops --wait 300ms -H "$NET_DST4"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$NET_DST4") not reached within 30 hops, last answer from hop 2 \($(rq "$NET_ROUTER2_4")\) \|"
	expect_perf_labels hops rtt pl time
	expect_perf_value hops '^U$'
	expect_perf_value rtt '^U$'
	expect_perf_value pl '^100%$'
	expect_row 1 "^ +1  $(rq "$NET_ROUTER1_4") +0\.0% "
	expect_row 2 "^ +2  $(rq "$NET_ROUTER2_4") +0\.0% "
	expect_elapsed_below $((T * 1000 + SLACK_MS))
	step "IPv6 UDP, up to -m"
	timed_hops -P udp --wait 300ms -H "$NET_DST6"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$NET_DST6") not reached within 30 hops, last answer from hop 2 \($(rq "$NET_ROUTER2_6")\) \|"
	expect_elapsed_below $((T * 1000 + SLACK_MS))

	# --max-silent 3: stops after hops 3, 4 and 5 stayed silent.
	local fam p dst r2
	for fam in 4 6; do
		dst=NET_DST$fam r2=NET_ROUTER2_$fam
		for p in icmp tcp; do
			step "IPv$fam -P $p, --max-silent 3"
			timed_hops -P "$p" --wait 300ms --max-silent 3 -H "${!dst}"
			expect_rc 2
			expect_status "^HOPS CRITICAL - $(rq "${!dst}") not reached: 3 hops without an answer after hop 2 \($(rq "${!r2}")\) \|"
			expect_perf_value hops '^U$'
			expect_perf_value pl '^100%$'
			expect_row 3 '^ +3  \* +100\.0% '
			expect_row 5 '^ +5  \* +100\.0% '
			expect_no_out '^ +6  '
			expect_elapsed_below $((T * 1000 + SLACK_MS))
		done
	done

	# -t 1 with the default wait (3 s): the run ends by its -t, in the -t
	# state (critical unless given), naming the last router all the same.
	step "-t 1 runs out"
	timed in_src "$HOPS" -t 1 -H "$NET_DST4"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$NET_DST4") not reached before -t ran out, last answer from hop 2 \($(rq "$NET_ROUTER2_4")\) \|"
	expect_perf_value hops '^U$'
	expect_elapsed_below $((1000 + SLACK_MS))
}

test_router_answering_net_unreachable_is_critical_with_N() {
	lab_up --routers 3 --unreach 2
	local fam p dst r1 r2
	for fam in 4 6; do
		dst=NET_DST$fam r1=NET_ROUTER1_$fam r2=NET_ROUTER2_$fam
		for p in icmp udp tcp; do
			step "IPv$fam, -P $p"
			hops -P "$p" -H "${!dst}"
			expect_rc 2
			# hop 2 is router 2's Time Exceeded; at hop 3 its !N
			expect_status "^HOPS CRITICAL - $(rq "${!dst}") not reached: hop 3 \($(rq "${!r2}")\) says network unreachable !N \|"
			expect_perf_value hops '^U$'
			expect_perf_value pl '^100%$'
			expect_table "${!r1} ${!r2} ${!r2}"
			expect_row 3 " !N$"
		done
	done
}

test_fragmentation_needed_is_critical_with_F_and_the_mtu() {
	lab_up --routers 3 --mtu 2,1400
	[ "${NET_MTU2:-}" = 1400 ] || fail "netlab did not set the MTU: NET_MTU2=${NET_MTU2:-}"
	local fam p dst r2
	for fam in 4 6; do
		dst=NET_DST$fam r2=NET_ROUTER2_$fam
		for p in icmp udp; do
			step "IPv$fam -P $p, -M -b 1450"
			hops -P "$p" -M -b 1450 -H "${!dst}"
			expect_rc 2
			expect_status "^HOPS CRITICAL - $(rq "${!dst}") not reached: hop 3 \($(rq "${!r2}")\) says fragmentation needed !F, MTU 1400 \|"
			expect_perf_value hops '^U$'
			expect_row 3 "^ +3  $(rq "${!r2}") .* !F 1400$"
		done
		# the default size, no Don't Fragment: through
		step "IPv$fam, default size"
		hops -H "${!dst}"
		expect_rc 0
		expect_status "^HOPS OK - $(rq "${!dst}") reached in $NET_HOPS hops, "
		expect_perf_value hops "^$NET_HOPS\$"
	done
}

test_routing_loop_is_critical_and_found_fast() {
	lab_up --routers 4 --loop
	local fam p dst r3 r4
	for fam in 4 6; do
		dst=NET_DST$fam r4=NET_ROUTER4_$fam r3=NET_ROUTER3_$fam
		for p in icmp udp; do
			step "IPv$fam, -P $p"
			timed_hops -P "$p" -H "${!dst}"
			expect_rc 2
			# router 4 sends the destination back to router 3 (from
			# its address on their link), which sends it on to 4
			expect_status "^HOPS CRITICAL - $(rq "${!dst}") not reached: routing loop, hop 6 \($(rq "${!r4}")\) was hop 4 too \|"
			expect_perf_value hops '^U$'
			expect_row 4 "^ +4  $(rq "${!r4}") "
			expect_row 6 "^ +6  $(rq "${!r4}") "
			# every hop answers at once: nothing to wait for (the
			# default --wait is 3 s)
			expect_elapsed_below 3000
		done
	done
}

# ---- verdicts on the path ---------------------------------------------------

test_expect_hop_via_and_avoid() {
	lab_up --routers 5 --silent 2
	local r3=$NET_ROUTER3_4 r4=$NET_ROUTER4_4 dst=$NET_DST4
	step "--expect-hop that matches (address, network, IPv6)"
	hops --expect-hop "3=$r3" --expect-hop 4=198.18.3.0/24 --expect-hop "6=$dst" -H "$dst"
	expect_rc 0
	expect_status "^HOPS OK - $(rq "$dst") reached in 6 hops, "
	hops --expect-hop "3=$NET_ROUTER3_6" --expect-hop 5=2001:db8:0:4::/64 -H "$NET_DST6"
	expect_rc 0
	expect_status "^HOPS OK - $(rq "$NET_DST6") reached in 6 hops, "

	step "--expect-hop that does not match"
	hops --expect-hop "3=$r4" -H "$dst"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$dst") reached in 6 hops, rtt [0-9.]+ ms, 0% lost: hop 3 is $(rq "$r3"), expected $(rq "$r4") \|"
	expect_out "^\[CRITICAL\] hop 3 is $(rq "$r3"), expected $(rq "$r4")$"
	expect_perf_value hops '^6$'
	hops --expect-hop 3=2001:db8:0:9::/64 -H "$NET_DST6"
	expect_rc 2
	expect_status "hop 3 is $(rq "$NET_ROUTER3_6"), expected 2001:db8:0:9::/64 \|"

	step "--expect-hop of the silent hop"
	hops --expect-hop "2=$NET_ROUTER2_4" -H "$dst"
	expect_rc 1
	expect_status "^HOPS WARNING - $(rq "$dst") reached in 6 hops, rtt [0-9.]+ ms, 0% lost: hop 2 did not answer \(expected $(rq "$NET_ROUTER2_4")\) \|"
	expect_out "^\[WARNING\] hop 2 did not answer \(expected $(rq "$NET_ROUTER2_4")\)$"

	step "--via present"
	hops --via "$r4" --via 198.18.2.0/24 -H "$dst"
	expect_rc 0
	expect_status "^HOPS OK - "
	hops --via 2001:db8:0:3::/64 -H "$NET_DST6"
	expect_rc 0
	step "--via absent"
	hops --via 198.18.9.9 -H "$dst"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$dst") reached in 6 hops, .*: the path does not pass 198\.18\.9\.9 \(--via\) \|"
	hops --via 2001:db8:0:9::/64 -H "$NET_DST6"
	expect_rc 2
	expect_status "the path does not pass 2001:db8:0:9::/64 \(--via\) \|"

	step "--avoid absent"
	hops --avoid 198.18.9.0/24 --avoid 10.0.0.1 -H "$dst"
	expect_rc 0
	expect_status "^HOPS OK - "
	step "--avoid present"
	hops --avoid "$r4" -H "$dst"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$dst") reached in 6 hops, .*: the path passes $(rq "$r4") at hop 4 \(--avoid $(rq "$r4")\) \|"
	expect_out "^\[CRITICAL\] the path passes $(rq "$r4") at hop 4 \(--avoid $(rq "$r4")\)$"
	hops --avoid 2001:db8:0:2::/64 -H "$NET_DST6"
	expect_rc 2
	expect_status "the path passes $(rq "$NET_ROUTER3_6") at hop 3 \(--avoid 2001:db8:0:2::/64\) \|"
}

test_warning_and_critical_ranges_on_the_hop_count() {
	lab_up --routers 5
	step "-w 3 -c 5"
	hops -w 3 -c 5 -H "$NET_DST4"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$NET_DST4") reached in 6 hops, rtt [0-9.]+ ms, 0% lost: 6 hops \(critical over 5\) \|"
	expect_perf_raw "hops=6;3;5;1;30"
	step "-w 5 -c 10"
	hops -w 5 -c 10 -H "$NET_DST4"
	expect_rc 1
	expect_status "^HOPS WARNING - $(rq "$NET_DST4") reached in 6 hops, rtt [0-9.]+ ms, 0% lost: 6 hops \(warning over 5\) \|"
	expect_perf_raw "hops=6;5;10;1;30"
	step "-w 6 -c 10 (6 is inside 0..6)"
	hops -w 6 -c 10 -H "$NET_DST6"
	expect_rc 0
	expect_status "^HOPS OK - "
	expect_perf_raw "hops=6;6;10;1;30"
}

test_rtt_and_loss_thresholds() {
	lab_up --routers 2
	step "--rtt-critical 1us"
	hops --rtt-critical 1us -H "$NET_DST4"
	expect_rc 2
	expect_status "^HOPS CRITICAL - $(rq "$NET_DST4") reached in 3 hops, rtt [0-9.]+ ms, 0% lost: rtt [0-9.]+ ms at the destination \(critical at 0\.001 ms\) \|"
	expect_perf_value rtt '^[0-9.]+ms$'
	step "--rtt-warning 1us"
	hops --rtt-warning 1us -H "$NET_DST6"
	expect_rc 1
	expect_status "^HOPS WARNING - $(rq "$NET_DST6") reached in 3 hops, .*: rtt [0-9.]+ ms at the destination \(warning at 0\.001 ms\) \|"
	step "round trip under both thresholds"
	hops --rtt-warning 10s --rtt-critical 20s -H "$NET_DST4"
	expect_rc 0
	expect_status "^HOPS OK - "
	local re=' rtt=[0-9.]+ms;10000;20000;0 '
	[[ " $perf " =~ $re ]] || { complain "rtt perfdata without its thresholds"; show_run; return 1; }
	step "--loss-warning / --loss-critical at 0% lost"
	hops --loss-warning 1 --loss-critical 50 -P udp -H "$NET_DST4"
	expect_rc 0
	expect_status "^HOPS OK - $(rq "$NET_DST4") reached in 3 hops, rtt [0-9.]+ ms, 0% lost \|"
	expect_perf_raw "pl=0%;1;50;0;100"
}

test_perfdata_per_hop_only_for_hops_that_answered() {
	lab_up --routers 5 --silent 2
	local fam dst l
	for fam in 4 6; do
		dst=NET_DST$fam
		step "IPv$fam"
		hops --perfdata-per-hop -H "${!dst}"
		expect_rc 0
		expect_perf_labels hops rtt pl hop1_rtt hop1_pl hop3_rtt hop3_pl hop4_rtt hop4_pl \
			hop5_rtt hop5_pl hop6_rtt hop6_pl time
		for l in 1 3 4 5 6; do
			expect_perf_value "hop${l}_rtt" '^[0-9.]+ms$'
			expect_perf_value "hop${l}_pl" '^0%$'
		done
		# keyed by hop number, never by address
		l=$(perf_labels | grep -vE '^(hops|rtt|pl|time|hop[0-9]+_(rtt|pl))$' || true)
		[ -z "$l" ] || { complain "labels not keyed by hop number: $l"; show_run; return 1; }
	done
}

# ---- baseline -------------------------------------------------------------

test_baseline_stores_the_path_and_warns_when_it_changes() {
	local d f saved left
	d=$(mktemp -d)
	at_exit "rm -rf '$d'"
	# the plugin runs as 65534 once its sockets are open (as root): the
	# folder must be its to write
	chown 65534:65534 "$d"
	chmod 755 "$d"
	f=$d/path
	lab_up --routers 5

	step "first run stores the path"
	hops --baseline "$f" -H "$NET_DST4"
	expect_rc 0
	expect_status "^HOPS OK - $(rq "$NET_DST4") reached in 6 hops, rtt [0-9.]+ ms, 0% lost \|"
	expect_out "^the path is now the baseline in $(rq "$f")$"
	[ -f "$f" ] || fail "no baseline file $f"
	grep -qxF "target $NET_DST4" "$f" || fail "no 'target $NET_DST4' line in $f: $(cat "$f")"
	local k a
	k=0
	for a in $NET_HOPS4; do
		k=$((k + 1))
		grep -qxF "hop $k $a" "$f" || fail "no 'hop $k $a' line in $f: $(cat "$f")"
	done
	[ "$(grep -c '^hop ' "$f")" = 6 ] || fail "want 6 hop lines in $f: $(cat "$f")"
	left=$(find "$d" -mindepth 1 ! -name path)
	[ -z "$left" ] || fail "files left next to the baseline: $(echo $left)"
	saved=$(cat "$f")

	step "second run, same path"
	hops --baseline "$f" -H "$NET_DST4"
	expect_rc 0
	expect_status "^HOPS OK - $(rq "$NET_DST4") reached in 6 hops, rtt [0-9.]+ ms, 0% lost \|"
	expect_no_out 'changed|the path is now the baseline'
	[ "$(cat "$f")" = "$saved" ] || fail "the baseline changed on a run with the same path"

	step "stored paths that differ (as an older route would have left them)"
	sed "s/^hop 3 .*/hop 3 198.18.9.2/" "$f" >"$d/hop3"
	grep -vE '^hop [56] ' "$f" >"$d/shorter"
	chmod 644 "$d/hop3" "$d/shorter"
	hops --baseline "$d/hop3" -H "$NET_DST4"
	expect_rc 1
	expect_status "^HOPS WARNING - $(rq "$NET_DST4") reached in 6 hops, rtt [0-9.]+ ms, 0% lost: the path changed \(--baseline\) \|"
	expect_out "^hop 3: 198\.18\.9\.2 before, now $(rq "$NET_ROUTER3_4")$"
	hops --baseline "$d/shorter" -H "$NET_DST4"
	expect_rc 1
	expect_status "the path changed \(--baseline\) \|"
	expect_out '^4 hops before, now 6$'
	# a stored baseline is not replaced by a changed path
	grep -qxF 'hop 3 198.18.9.2' "$d/hop3" || fail "the changed baseline was overwritten"

	step "the same chain with router 3 silent: no change"
	lab_up --routers 5 --silent 3
	hops --baseline "$f" -H "$NET_DST4"
	expect_rc 0
	expect_status "^HOPS OK - $(rq "$NET_DST4") reached in 6 hops, "
	expect_row 3 '^ +3  \* '
	expect_no_out 'changed'
	[ "$(cat "$f")" = "$saved" ] || fail "the baseline changed on a run with a silent hop"

	step "a chain of another length"
	lab_up --routers 3
	hops --baseline "$f" -H "$NET_DST4"
	expect_rc 1
	expect_status "^HOPS WARNING - $(rq "$NET_DST4") reached in 4 hops, rtt [0-9.]+ ms, 0% lost: the path changed \(--baseline\) \|"
	expect_out "^\[WARNING\] the path changed against $(rq "$f")$"
	expect_out "^the baseline traced 198\.18\.5\.2, this run $(rq "$NET_DST4")$"
	[ "$(cat "$f")" = "$saved" ] || fail "the baseline was replaced by a changed path"
	left=$(find "$d" -mindepth 1 ! -name path ! -name hop3 ! -name shorter)
	[ -z "$left" ] || fail "files left next to the baseline: $(echo $left)"
}

test_baseline_that_is_damaged_or_not_a_file_is_unknown() {
	local d b
	d=$(mktemp -d)
	at_exit "rm -rf '$d'"
	chown 65534:65534 "$d"
	chmod 755 "$d"
	lab_up --routers 2
	printf 'garbage\n' >"$d/garbage"
	printf '# check_hops baseline\ntarget %s\n' "$NET_DST4" >"$d/cut"
	printf 'target %s\nhop 1 %s\nhop 3 %s\n' "$NET_DST4" "$NET_ROUTER1_4" "$NET_DST4" >"$d/gap"
	printf 'target %s\nhop 1 not-an-address\n' "$NET_DST4" >"$d/badaddr"
	chmod 644 "$d"/*
	for b in garbage cut gap badaddr; do
		step "damaged: $b"
		hops --baseline "$d/$b" -H "$NET_DST4"
		expect_rc 3
		expect_status "^HOPS UNKNOWN - .*--baseline $(rq "$d/$b") is damaged"
	done
	[ "$(cat "$d/garbage")" = garbage ] || fail "a damaged baseline was overwritten"

	mkfifo -m 644 "$d/fifo"
	mkdir "$d/folder"
	for b in fifo folder; do
		step "not a regular file: $b"
		timed_hops --baseline "$d/$b" -H "$NET_DST4"
		expect_rc 3
		expect_status "^HOPS UNKNOWN - .*--baseline $(rq "$d/$b"): not a regular file"
		expect_elapsed_below 5000
	done
	[ -p "$d/fifo" ] && [ -d "$d/folder" ] || fail "the FIFO or the folder was replaced"
}

# ---- names ----------------------------------------------------------------

# dnsfake_in_src ARGS...: starts tests/fake/dnsfake inside the source
# namespace on 127.0.0.1 (a free port, at most 30 s), waits (bounded, 5 s)
# until it listens; sets PTR_PORT and PTR_LOG.
dnsfake_in_src() {
	local d pid i
	d=$(mktemp -d)
	in_src ip link set lo up
	ip netns exec "$NET_SRC_NS" "$FAKE_DIR/dnsfake" --listen 127.0.0.1:0 --portfile "$d/port" \
		--log "$d/log" --max-seconds 30 "$@" >"$d/out" 2>&1 </dev/null &
	pid=$!
	at_exit "kill $pid"
	at_exit "rm -rf '$d'"
	for ((i = 0; i < 250; i++)); do
		if [ -s "$d/port" ]; then
			PTR_PORT=$(cat "$d/port") PTR_LOG=$d/log
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || { cat "$d/out" >&2; fail "dnsfake exited before listening"; }
		sleep 0.02
	done
	fail "dnsfake did not listen within 5 s"
}

test_resolve_shows_reverse_names_in_the_table() {
	lab_up --routers 3
	dnsfake_in_src --ptr "$NET_ROUTER1_4=r1.hops.test,$NET_ROUTER2_4=r2.hops.test,$NET_DST4=dst.hops.test,$NET_ROUTER1_6=r1v6.hops.test"
	step "IPv4"
	hops -r --dns-server "127.0.0.1:$PTR_PORT" -H "$NET_DST4"
	expect_rc 0
	expect_status "^HOPS OK - $(rq "$NET_DST4") reached in 4 hops, "
	expect_row 1 "^ +1  $(rq "$NET_ROUTER1_4") \(r1\.hops\.test\) +0\.0% "
	expect_row 2 "^ +2  $(rq "$NET_ROUTER2_4") \(r2\.hops\.test\) +0\.0% "
	expect_row 3 "^ +3  $(rq "$NET_ROUTER3_4") +0\.0% "
	expect_row 4 "^ +4  $(rq "$NET_DST4") \(dst\.hops\.test\) +0\.0% "
	step "IPv6"
	hops -r --dns-server "127.0.0.1:$PTR_PORT" -P udp -H "$NET_DST6"
	expect_rc 0
	expect_row 1 "^ +1  $(rq "$NET_ROUTER1_6") \(r1v6\.hops\.test\) +0\.0% "
	expect_row 2 "^ +2  $(rq "$NET_ROUTER2_6") +0\.0% "
	grep -q ' PTR ' "$PTR_LOG" || fail "dnsfake was asked no PTR query: $(cat "$PTR_LOG")"
	step "without -r: numeric"
	hops -H "$NET_DST4"
	expect_rc 0
	expect_no_out 'hops\.test'
}

# ---- privileges -------------------------------------------------------------

# nobody_copy: a copy of the plugin that user 65534 may run (the tree may not
# be open to it); sets NHOPS.
nobody_copy() {
	local d
	d=$(mktemp -d)
	at_exit "rm -rf '$d'"
	chmod 755 "$d"
	cp "$HOPS" "$d/check_hops"
	chmod 755 "$d/check_hops"
	NHOPS=$d/check_hops
}

test_unprivileged_icmp_needs_ping_group_range_udp_and_tcp_do_not() {
	nobody_copy
	lab_up --routers 2 --unpriv
	local fam dst p list
	for fam in 4 6; do
		dst=NET_DST$fam
		step "nobody, --unpriv, IPv$fam ICMP"
		run in_src "${NOBODY[@]}" "$NHOPS" -t "$T" -H "${!dst}"
		expect_rc 0
		expect_status "^HOPS OK - $(rq "${!dst}") reached in 3 hops, "
	done

	lab_up --routers 2
	[ "$(in_src cat /proc/sys/net/ipv4/ping_group_range | tr -s ' \t' ' ')" = "1 0" ] ||
		fail "ping_group_range is open in a namespace made without --unpriv"
	step "nobody, no --unpriv, ICMP"
	run in_src "${NOBODY[@]}" "$NHOPS" -t "$T" -H "$NET_DST4"
	expect_rc 3
	expect_status '^HOPS UNKNOWN - no ICMP socket: '
	local want
	for want in 'sysctl -w net.ipv4.ping_group_range="0 2147483647"' "setcap cap_net_raw+ep $NHOPS" '-P udp'; do
		[[ $status_line == *"$want"* ]] || { complain "no '$want' in the message"; show_run; return 1; }
	done
	for fam in 4 6; do
		dst=NET_DST$fam list=NET_HOPS$fam
		for p in udp tcp; do
			step "nobody, no --unpriv, IPv$fam -P $p"
			run in_src "${NOBODY[@]}" "$NHOPS" -t "$T" -P "$p" -H "${!dst}"
			expect_rc 0
			expect_status "^HOPS OK - $(rq "${!dst}") reached in 3 hops, rtt [0-9.]+ ms, 0% lost \|"
			expect_perf_value hops '^3$'
			expect_table "${!list}"
		done
	done
}

# ---- bad input --------------------------------------------------------------

test_bad_input_is_unknown_naming_the_option() {
	# Inside a lab namespace, with the chain's own destination: should a bad
	# option be taken, nothing leaves the chain, and a name would be asked
	# of 127.0.0.1 there.
	lab_up --routers 1
	local args want bad=0 n=0
	while IFS='|' read -r args want; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		run in_src "$HOPS" -t "$T" $args
		if [ "$rc" != 3 ] || ! [[ $status_line =~ ^HOPS\ UNKNOWN\ -\ $want ]]; then
			complain "'$args': want exit code 3 and /^HOPS UNKNOWN - $want/"
			show_run
			bad=$((bad + 1))
		fi
	done <<EOF
-P foo -H $NET_DST4|-P: 'foo' is not icmp, udp or tcp
-q 0 -H $NET_DST4|-q: '0' is out of range \(1 to 10\)
-q 11 -H $NET_DST4|-q: '11' is out of range \(1 to 10\)
-m 0 -H $NET_DST4|-m: '0' is out of range \(1 to 255\)
-m 256 -H $NET_DST4|-m: '256' is out of range \(1 to 255\)
-f 5 -m 3 -H $NET_DST4|-f 5 is beyond -m 3
-N 0 -H $NET_DST4|-N: '0' is out of range \(1 to 255\)
-b 11 -H $NET_DST4|-b: '11' is out of range \(12 to 65000\)
--max-silent 0 -H $NET_DST4|--max-silent: '0' is out of range \(1 to 255\)
--wait 0 -H $NET_DST4|--wait: '0' is not a time
--expect-hop x -H $NET_DST4|--expect-hop: 'x' is not N=ADDR or N=CIDR
--expect-hop 3=notanaddr -H $NET_DST4|--expect-hop: 'notanaddr' is not an address or network
--expect-hop 0=$NET_DST4 -H $NET_DST4|--expect-hop: '0' is out of range \(1 to 255\)
--via 300.1.1.1 -H $NET_DST4|--via: '300\.1\.1\.1' is not an address or network
--avoid 198.18.0.0/33 -H $NET_DST4|--avoid: '198\.18\.0\.0/33': the prefix must be 0 to 32
--loss-critical 101 -H $NET_DST4|--loss-critical: '101' is out of range
--rtt-warning 5x -H $NET_DST4|--rtt-warning: '5x' has an unknown unit
-w foo -H $NET_DST4|-w: .*'foo' is not a number
-p 0 -H $NET_DST4|-p: '0' is out of range \(1 to 65535\)
-P udp|-H HOST is required
EOF
	[ "$bad" = 0 ] || fail "$bad of $n bad inputs were not refused with the expected message"
}
