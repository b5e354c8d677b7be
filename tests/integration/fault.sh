# Shared by the tests of what a hostile or broken server can do to a run
# (t_hostile.sh, t_fault_matrix.sh): sourced after lib.sh and
# tests/fake/lib.sh.
#
#   hostile_fake [TCPFAKE-ARGS...] <SCENARIO
#                        starts tcpfake with the scenario read from stdin
#   measured CMD...      runs CMD under tests/tools/rusage (and `timeout`, so
#                        that a hang fails rather than stalls the suite); sets
#                        out, rc, status_line, perf as `run` does, and secs
#                        (wall time) and kib (peak memory, KiB)
#   expect_small         kib is under MEM_MAX_KIB (16 MiB; 8 times that for
#                        the sanitized build, NETCHECK_SANITIZE=1)
#   expect_clean_output  stdout is valid UTF-8 without control characters
#                        (C0 but the newline, DEL, C1): what a server sent is
#                        escaped before it is shown
#   listing_block        64 KiB of short POP3 scan listing lines
#   endless_listing COUNT [FIRST-STEP]
#                        a POP3 fake whose STAT says COUNT messages and whose
#                        LIST never ends

MEM_MAX_KIB=$((16 * 1024)) # DESIGN.md: a run stays under 16 MiB
# The sanitized build (NETCHECK_SANITIZE=1) adds AddressSanitizer's shadow
# memory, redzones and quarantine of freed blocks: its peaks are several
# times the ordinary build's.  There the cap is 8 times 16 MiB: still far
# below what an unbounded run reaches.
SAN_MEM_FACTOR=8
[ "${NETCHECK_SANITIZE:-}" != 1 ] || MEM_MAX_KIB=$((MEM_MAX_KIB * SAN_MEM_FACTOR))
# The test tools of the build under test (the runner sets TOOLS where it
# knows it).
RUSAGE=${TOOLS:-$TOP/tests/tools}/rusage

# A POP3 greeting and a login without PIPELINING (one command at a time).
LOGIN='send +OK fake POP3\r\n
expect ^CAPA$
send +OK\r\nUSER\r\nTOP\r\n.\r\n
expect ^USER alice$
send +OK\r\n
expect ^PASS fakepw$
send +OK logged in\r\n'

# What ends an endless listing: the deadline, or (on a fast machine) the
# cap of 10 million lines on a listing; either within the time.
ENDLESS='LIST: (timed out waiting for the server|the reply has more than 10000000 lines)'

hostile_fake() { # [TCPFAKE-ARGS...] <SCENARIO
	fake_init
	local sc=$FAKE_TMP/sc.$RANDOM
	cat >"$sc"
	fake_start tcpfake --scenario "$sc" "$@"
}

measured() {
	local ru=$FAKE_TMP/rusage.$RANDOM
	run timeout -k 2 40 "$RUSAGE" -o "$ru" "$@"
	read -r secs _ kib rc <"$ru" || { secs=99; kib=0; }
	rm -f "$ru"
}

expect_small() {
	[ "$kib" -lt "$MEM_MAX_KIB" ] && return 0
	complain "peak memory $kib KiB, more than $MEM_MAX_KIB KiB"; show_run; return 1
}

expect_clean_output() {
	local LC_ALL=C why=
	if ! printf '%s' "$out" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1; then
		why="not valid UTF-8"
	elif [[ $out == *[$'\x01'-$'\x09'$'\x0b'-$'\x1f'$'\x7f']* ]]; then
		why="a C0 control character or DEL"
	elif [[ $out == *$'\xc2'[$'\x80'-$'\x9f']* ]]; then
		why="a C1 control character"
	fi
	[ -z "$why" ] && return 0
	complain "stdout is not clean text: $why"; show_run; return 1
}

# 64 KiB of short scan listing lines ("1 1\r\n"), as one tcpfake TEXT: the
# fake sends them faster than a client can take them one by one, so the
# client's reads never find the socket empty.
listing_block() { python3 -c 'print("1 1\\r\\n" * 13107, end="")'; }

endless_listing() {
	hostile_fake <<EOF
${2:-}
$LOGIN
expect ^STAT$
send +OK $1 4000000000\r\n
expect ^LIST$
send +OK\r\n
repeat 100000000
send $(listing_block)
end
EOF
}
