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
