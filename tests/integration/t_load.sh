# Load (issue 14): what a busy scheduler does.  200 runs of each plugin at
# once against the lab (Postfix with STARTTLS, MAIL and RCPT; Dovecot with
# a login and STAT; NSD) and across a chain of network namespaces
# (check_icmp_rtt and check_hops): every run's exit code and status line are
# right, none hangs, no run's peak memory reaches 16 MiB (8 times that for
# the sanitized build: fault.sh), and the mail servers logged every session
# as ended by our QUIT.  Then 50 check_icmp_rtt runs at once, each to its
# own address: each reports its own replies only.
#
# Time: every run has -t $LOAD_T (60 s), and a batch of 200 gets
# LOAD_WAIT_S (90 s) in all before what is left is killed and the test
# fails; a batch takes a few seconds here, so both are 10x and more what
# the slowest run needs on a busy 2-core machine.  The servers' logs are
# read with a bounded wait (LAB_WAIT_S, lib.sh) for lines they write after
# the client is gone.  With LOAD_REPORT=FILE each batch appends a line
# (tab separated: what, runs, wall seconds of the batch, slowest run's
# seconds, largest peak KiB, clean ends seen by the server) for
# docs/robustness.md.

. "$TOP/tests/fake/lib.sh"

NETLAB_ID=${NETLAB_ID:-load}
export NETLAB_ID=${NETLAB_ID:0:5}$$ # its own chains: 12 characters at most
export NETLAB_RESPONDER_LIFE=300
N=200          # runs of a batch
LOAD_T=60      # -t of every run
LOAD_WAIT_S=90 # a whole batch, at most
. "$TOP/tests/integration/fault.sh" # MEM_MAX_KIB, RUSAGE

. "$TOP/tests/integration/netlab.sh"

# The fakes' temporary folder (for rusage's files) and the EXIT trap of
# netlab.sh, which then removes that folder too.
traps_init() {
	[ -z "$FAKE_TMP" ] || return 0
	fake_init
	at_exit fake_cleanup
}

# batch N CMD...: starts N runs of CMD at once ("@K@" in an argument becomes
# the run's number, 1..N), each under tests/tools/rusage; waits for all of
# them (at most LOAD_WAIT_S; what is left then is killed and the test
# fails).  Sets BATCH (the folder: K.out, K.ru), batch_s (the wall time of
# the whole batch), slowest_s and max_kib.
batch() {
	local n=$1 k a t0 left i pids=() args
	shift
	traps_init
	BATCH=$(mktemp -d "$FAKE_TMP/batch.XXXXXX") BATCH_N=$n
	t0=${EPOCHREALTIME/./}
	for ((k = 1; k <= n; k++)); do
		args=()
		for a in "$@"; do args+=("${a//@K@/$k}"); done
		"$RUSAGE" -o "$BATCH/$k.ru" "${args[@]}" >"$BATCH/$k.out" 2>"$BATCH/$k.err" </dev/null &
		pids+=($!)
	done
	at_exit "kill ${pids[*]}"
	for ((i = 0; i < LOAD_WAIT_S * 10; i++)); do
		left=0
		for k in "${pids[@]}"; do kill -0 "$k" 2>/dev/null && left=$((left + 1)); done
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	batch_s=$(awk -v a="$t0" -v b="${EPOCHREALTIME/./}" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
	if [ "$left" != 0 ]; then
		kill "${pids[@]}" 2>/dev/null || true
		fail "$left of $n runs still running after $LOAD_WAIT_S s: $*"
	fi
	wait "${pids[@]}" 2>/dev/null || true
	slowest_s=$(cat "$BATCH"/*.ru | awk '$1 > m { m = $1 } END { printf "%.2f", m }')
	max_kib=$(cat "$BATCH"/*.ru | awk '$3 > m { m = $3 } END { print m + 0 }')
}

# each_run RE [RC]: every run of the batch exited with RC (default 0), its
# status line matches RE (@K@: the run's number), its peak memory is under
# MEM_MAX_KIB and it wrote no sanitizer report.  Names the first run that
# did not.
each_run() {
	local re=$1 want=${2:-0} k wall kib
	for k in $(seq 1 "$BATCH_N"); do
		read -r wall _ kib rc <"$BATCH/$k.ru" || fail "run $k wrote no rusage line"
		out=$(cat "$BATCH/$k.out") err=$(cat "$BATCH/$k.err")
		status_line=${out%%$'\n'*}
		! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' <<<"$err" ||
			fail "run $k: a sanitizer report: $err"
		expect_rc "$want" || fail "run $k of the batch"
		expect_status "${re//@K@/$k}" || fail "run $k of the batch"
		[ "$kib" -lt "$MEM_MAX_KIB" ] || fail "run $k: peak memory $kib KiB"
	done
}

# count_lines FILE FROM-BYTE RE WANT: waits (at most LAB_WAIT_S) until the
# matches of RE in FILE after FROM-BYTE are WANT or more; prints their
# number (matches, not lines: two log lines that a busy server wrote into
# one still count twice).
count_lines() {
	local n i
	for ((i = 0; i < LAB_WAIT_S * 5; i++)); do
		n=$(tail -c +"$(($2 + 1))" "$1" | grep -oE -- "$3" | wc -l)
		[ "$n" -ge "$4" ] && break
		sleep 0.2
	done
	echo "$n"
}

report() { # WHAT CLEAN-ENDS
	[ -z "${LOAD_REPORT:-}" ] ||
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$N" "$batch_s" "$slowest_s" "$max_kib" "$2" \
			>>"$LOAD_REPORT"
}

size() { stat -c %s "$1"; }

test_200_smtp_runs_with_starttls_mail_and_rcpt() {
	need_lab
	local from quits
	from=$(size "$SMTP_LOG")
	batch "$N" "$SMTP" -H "$SMTP_HOST" -p "$SMTP_PORT" -F client.lab.test -S --ca-file "$LAB_CA" \
		-f alice@lab.test --to bob@lab.test -t $LOAD_T
	each_run "^SMTP OK - \\[$(rq "$SMTP_HOST")\\]:$SMTP_PORT ESMTP, STARTTLS TLSv1\\.[23], RCPT 250, "
	# Postfix ends each session's log with the commands it took:
	# "disconnect from unknown[127.0.0.1] ehlo=2 starttls=1 mail=1
	# rcpt=1 rset=1 quit=1 commands=7" (RSET: the run sends no DATA).
	quits=$(count_lines "$SMTP_LOG" "$from" \
		'smtpd\[[0-9]+\]: disconnect from [^ ]+ ehlo=2 starttls=1 mail=1 rcpt=1 rset=1 quit=1 commands=7' "$N")
	report "check_smtp_dialogue (STARTTLS, MAIL, RCPT)" "$quits"
	[ "$quits" = "$N" ] ||
		fail "Postfix logged $quits sessions ended with QUIT, want $N: $(tail -c +"$((from + 1))" "$SMTP_LOG" | grep -E 'disconnect|lost|warning|error' | grep -v 'quit=1' | head -5)"
}

test_200_pop3_runs_with_login_and_stat() {
	need_lab
	local from outs
	from=$(size "$POP3_LOG")
	batch "$N" "$POP" -H "$POP3_HOST" -p "$POP3_PORT" --starttls --ca-file "$LAB_CA" \
		-U alice --password-file "$LAB_PWFILE_ALICE" -t $LOAD_T
	each_run "^POP3 OK - alice@$(rq "$POP3_HOST"):$POP3_PORT: $POP3_ALICE_COUNT messages"
	# Dovecot: "pop3(alice)<...>: Disconnected: Logged out top=0/0, ..."
	# for a session the client ended with QUIT.
	outs=$(count_lines "$POP3_LOG" "$from" 'pop3\(alice\)<[0-9]+><[^>]*>: Info: Disconnected: Logged out ' "$N")
	report "check_pop3_mailbox (STLS, USER/PASS, STAT)" "$outs"
	[ "$outs" = "$N" ] || fail "Dovecot logged $outs logouts of alice, want $N: $(pop3_missing "$from")"
}

# The log lines of the sessions that logged in after FROM-BYTE but did not
# log out (at most 5).
pop3_missing() {
	local part s
	part=$(tail -c +"$(($1 + 1))" "$POP3_LOG")
	for s in $(grep -oE 'Login: user=<alice>.* session=<[^>]*>' <<<"$part" |
			sed 's/.*session=<\([^>]*\)>/\1/' | head -n 1000); do
		grep -qF "<$s>: Info: Disconnected: Logged out" <<<"$part" || grep -F "$s" <<<"$part"
	done | head -n 5
}

test_200_dns_mx_runs() {
	need_lab
	batch "$N" "$MX" -d lab.test -s "$DNS_SERVER:$DNS_PORT" -t $LOAD_T
	each_run '^DNS MX OK - lab\.test: 2 MX: 10 mail\.lab\.test \(127\.0\.0\.1, ::1\), 20 mx2\.lab\.test \(127\.0\.0\.2, ::1\), '
	report "check_dns_mx (lab.test, NSD)" "-"
}

test_200_icmp_and_200_hops_runs_across_the_chain() {
	traps_init
	lab_up --routers 2
	local in=(ip netns exec "$NET_SRC_NS")
	batch "$N" "${in[@]}" "$ICMP" -v -n 5 -i 20ms -t $LOAD_T "$NET_DST4"
	each_run "^ICMP OK - $(rq "$NET_DST4"): rta [0-9.]+ ms, lost 0% \\|"
	local k
	for k in $(seq 1 "$N"); do
		grep -qE "^$(rq "$NET_DST4"): 5 sent, 5 received, .*, 0 duplicates" "$BATCH/$k.out" ||
			fail "run $k: $(cat "$BATCH/$k.out")"
	done
	report "check_icmp_rtt (-n 5, 3 hops)" "-"
	batch "$N" "${in[@]}" "$HOPS" -t $LOAD_T -H "$NET_DST4"
	each_run "^HOPS OK - $(rq "$NET_DST4") reached in 3 hops, rtt [0-9.]+ ms, 0% lost \\|"
	report "check_hops (ICMP, 3 hops)" "-"
}

# 50 runs at once, run K to 127.0.1.K inside the chain's source namespace
# (its loopback: only this test's runs are there).  On raw sockets each run
# sees every reply of the 50: it must take its own 20 and nothing else.
test_50_icmp_runs_to_different_hosts_each_see_only_their_own_replies() {
	traps_init
	lab_up --routers 1
	local k h other ignored=0 n
	N=50 batch 50 ip netns exec "$NET_SRC_NS" "$ICMP" -vvv -n 20 -i 10ms -t $LOAD_T "127.0.1.@K@"
	each_run "^ICMP OK - 127\\.0\\.1\\.@K@: rta [0-9.]+ ms, lost 0% \\|"
	for k in $(seq 1 50); do
		h=127.0.1.$k
		out=$(cat "$BATCH/$k.out") rc=0 err=$(cat "$BATCH/$k.err")
		status_line=${out%%$'\n'*} perf=${out%%$'\n'*}
		perf=${perf#*| }
		expect_out "^$(rq "$h"): 20 sent, 20 received, .*, 0 duplicates, "
		expect_perf_value pl '^0%$'
		other=$(grep -oE '127\.0\.[0-9]+\.[0-9]+' <<<"$out" | sort -u | grep -vxF "$h" || true)
		[ -z "$other" ] || fail "run $k ($h) names other hosts: $(echo $other)"
		n=$(sed -n 's/^\([0-9][0-9]*\) messages ignored .*/\1/p' <<<"$out")
		ignored=$((ignored + ${n:-0}))
	done
	# the others' replies reached each raw socket, and were ignored
	[ "$ignored" -gt 0 ] || fail "no run saw another run's replies: nothing was tested"
	N=50 report "check_icmp_rtt, 50 hosts, -n 20 (foreign replies ignored: $ignored)" "-"
}
