# Helpers for integration tests; sourced by tests/integration/run.
#
# A test is a shell function named test_* in a file t_*.sh.  It runs in its
# own subshell with `set -e`: the first assertion that fails ends it.
#   run CMD ARGS...      runs CMD, sets $out (stdout), $err (stderr), $rc,
#                        $status_line (first line of stdout), $perf (the
#                        perfdata after the first '|' of the status line),
#                        $RUN_ARGS (CMD ARGS..., an array)
#   expect_rc N          exit code must be N
#   expect_status RE     the status line must match the extended regex RE
#   expect_out RE        some line of stdout must match RE
#   expect_no_out RE     no line of stdout may match RE
#   expect_perf_labels L...  perfdata labels, exactly these, in this order
#   perf_value LABEL     prints the value of perfdata LABEL with its unit
#                        (0.52ms, 0%, U); fails when there is no such label
#   expect_perf_value LABEL RE   that value must match the extended regex RE
#   need_root, need_lab, need_cmd CMD   skip (exit 77) with a reason
#   skip REASON          skip this test
#   fail MESSAGE         fail this test
#   timed CMD ARGS...    `run`, and sets $elapsed_ms (the wall time of CMD)
#   expect_elapsed_below MS   the timed run took less than MS
# $TOP is the source tree, $CHECKS the folder of the plugins under test
# and $TOOLS that of the test tools (tests/tools, or build/asan/... when
# NETCHECK_SANITIZE=1: then run() fails the test when the program printed a
# sanitizer report).  When the lab is up, the variables printed by
# tests/lab/up are in the environment.
#
# The plugins under test and the network lab, by the names every test file
# uses.
SMTP=$CHECKS/check_smtp_dialogue
POP=$CHECKS/check_pop3_mailbox
MX=$CHECKS/check_dns_mx
ICMP=$CHECKS/check_icmp_rtt
HOPS=$CHECKS/check_hops
NETLAB=$TOP/tests/lab/netlab

# Time in tests (STYLE.md, Tests): what a test waits for and the deadline it
# tests (a plugin's -t) are 10x or more apart, so that it holds on a busy
# 2-core machine:
#   SLACK_MS        how long after its -t a run that runs into it may end:
#                   10x what starting and ending a plugin and the scheduling
#                   delays of a busy machine take (tens of ms).  A plugin
#                   that restarts its wait per read or ignores -t overshoots
#                   by a whole -t or more (every -t that is run into here is
#                   1 s or more).
#   HANG_S          "never": how long a fake stays silent where a test needs
#                   silence (sleep $HANG_S), 10x every -t that runs into it
#                   (the fake is stopped when the test ends).
#   LAB_TIMEOUT_S   -t for runs against the lab's real servers: 10x their
#                   slowest answer (Dovecot delays a failed login by 2 s).
#   LAB_WAIT_S      how long a test waits for the lab to deliver a message:
#                   10x what Postfix and Dovecot take on a busy machine.
SLACK_MS=1000
HANG_S=30
LAB_TIMEOUT_S=20
LAB_WAIT_S=30

complain() { printf '    %s\n' "$*" >&2; }
fail() { complain "$@"; return 1; }
skip() { printf '%s\n' "$*" >&2; exit 77; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "needs $1 (make test-deps installs it)"; }
need_lab() {
	[ -n "${LAB_UP:-}" ] || skip "the lab is not up: ${LAB_WHY:-unknown reason}"
}

run() {
	local errf
	RUN_ARGS=("$@")
	errf=$(mktemp)
	set +e
	out=$("$@" 2>"$errf")
	rc=$?
	set -e
	err=$(cat "$errf")
	rm -f "$errf"
	status_line=${out%%$'\n'*}
	if [[ $status_line == *'|'* ]]; then perf=${status_line#*|}; perf=${perf# }; else perf=; fi
	sanitizer_check
	return 0
}

# Under NETCHECK_SANITIZE=1: a sanitizer report in $err ends the test
# (exit, so that it also counts where run is part of a condition).
sanitizer_check() {
	[ "${NETCHECK_SANITIZE:-}" = 1 ] || return 0
	[[ $err == *AddressSanitizer* || $err == *LeakSanitizer* || $err == *'runtime error:'* ]] ||
		return 0
	local IFS=' '
	printf 'SANITIZER REPORT from %s (exit code %s):\n%s\n' "${RUN_ARGS[*]}" "$rc" "$err" >&2
	exit 1
}

timed() {
	local t0=${EPOCHREALTIME/./}
	run "$@"
	elapsed_ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
}

expect_elapsed_below() {
	[ "$elapsed_ms" -lt "$1" ] && return 0
	complain "the run took $elapsed_ms ms, not under $1 ms"; show_run; return 1
}

show_run() {
	printf '    exit code: %s\n' "$rc" >&2
	printf '    stdout: %s\n' "${out//$'\n'/$'\n'            }" >&2
	[ -z "$err" ] || printf '    stderr: %s\n' "${err//$'\n'/$'\n'            }" >&2
}

expect_rc() {
	[ "$rc" = "$1" ] && return 0
	complain "expected exit code $1, got $rc"; show_run; return 1
}

expect_status() {
	[[ $status_line =~ $1 ]] && return 0
	complain "status line does not match /$1/"; show_run; return 1
}

expect_out() {
	grep -Eq -- "$1" <<<"$out" && return 0
	complain "no line of stdout matches /$1/"; show_run; return 1
}

expect_no_out() {
	grep -Eq -- "$1" <<<"$out" || return 0
	complain "a line of stdout matches /$1/"; show_run; return 1
}

# Labels of the perfdata on the status line, one per line, unquoted.
perf_labels() { perf_pairs | cut -f1; }

expect_perf_labels() {
	local want got
	want=$(printf '%s\n' "$@")
	got=$(perf_labels)
	[ "$want" = "$got" ] && return 0
	complain "perfdata labels differ: want [${want//$'\n'/ }] got [${got//$'\n'/ }]"; show_run; return 1
}

# "label<TAB>value" lines of the perfdata on the status line (labels
# unquoted, values with their unit, without thresholds).
perf_pairs() {
	local rest=$perf label value
	while [ -n "$rest" ]; do
		rest=${rest# }
		if [[ $rest == "'"* ]]; then
			rest=${rest#\'}
			label=
			while :; do
				label+=${rest%%\'*}
				rest=${rest#*\'}
				if [[ $rest == "'"* ]]; then label+="'"; rest=${rest#\'}; else break; fi
			done
		else
			label=${rest%%=*}
			rest=${rest#"$label"}
		fi
		rest=${rest#=}
		value=${rest%%[; ]*}
		printf '%s\t%s\n' "$label" "$value"
		[[ $rest == *' '* ]] && rest=${rest#* } || rest=
	done
}

perf_value() {
	local pairs
	pairs=$(perf_pairs | awk -F '\t' -v l="$1" '$1 == l { print $2; found = 1; exit } END { exit !found }') ||
		{ complain "no perfdata label '$1'"; show_run; return 1; }
	printf '%s\n' "$pairs"
}

expect_perf_value() {
	local v
	v=$(perf_value "$1") || return 1
	[[ $v =~ $2 ]] && return 0
	complain "perfdata '$1' is '$v', which does not match /$2/"; show_run; return 1
}

# plugin_dir_with_caps DIR: copies of our plugins in DIR, a plugin folder
# that a daemon's user (nagios) can run whatever the checkout's
# permissions; the ICMP ones with cap_net_raw, as make install gives them
# where unprivileged ICMP is not available.
plugin_dir_with_caps() {
	local p
	mkdir -p "$1"
	chmod 755 "$1"
	for p in check_dns_mx check_smtp_dialogue check_pop3_mailbox check_icmp_rtt check_hops; do
		install -m 755 "$CHECKS/$p" "$1/$p"
	done
	setcap cap_net_raw+ep "$1/check_icmp_rtt"
	setcap cap_net_raw+ep "$1/check_hops"
}
