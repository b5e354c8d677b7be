# The runner's own helpers, checked on canned data so a broken helper
# cannot make every other test pass.

test_perf_labels_parses_quoted_and_plain() {
	perf="'a b'=1s;2;3 plain=4 'it''s'=U"
	got=$(perf_labels | tr '\n' ,)
	[ "$got" = "a b,plain,it's," ] || fail "perf_labels gave '$got'"
}

test_expect_rc_fails_on_mismatch() {
	run false
	if (expect_rc 0) 2>/dev/null; then fail "expect_rc 0 accepted exit code 1"; fi
	expect_rc 1
}

# Under NETCHECK_SANITIZE=1, run ends the test on a sanitizer report in
# stderr (each kind: AddressSanitizer, LeakSanitizer, UBSan); without it, or
# without a report, run goes on.  (The reports here go to /dev/null: the
# runner fails a test whose output holds one.)
test_run_fails_on_a_sanitizer_report_when_sanitized() {
	local r
	for r in '==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1' \
		 '==1==ERROR: LeakSanitizer: detected memory leaks' \
		 'common/x.c:1:2: runtime error: signed integer overflow'; do
		if (NETCHECK_SANITIZE=1; run sh -c 'echo "$1" >&2; exit 86' _ "$r"; exit 0) 2>/dev/null; then
			fail "run went on after: $r"
		fi
		(NETCHECK_SANITIZE=; run sh -c 'echo "$1" >&2' _ "$r"; exit 0) ||
			fail "run stopped on a report without NETCHECK_SANITIZE=1"
	done
	(NETCHECK_SANITIZE=1; run sh -c 'echo "an ordinary error" >&2; exit 2'; exit 0) ||
		fail "run stopped on an ordinary stderr"
}
