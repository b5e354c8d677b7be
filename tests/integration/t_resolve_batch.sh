# Many names at once (common/resolve resolve_hosts, through tests/tools/lookup
# batch): 1,000 names must not cost 1,000 sequential round trips.

. "$TOP/tests/fake/lib.sh"

LOOKUP=$TOOLS/lookup

# The lab NSD holds many.test: host0001 ... host1000, each with an A and an
# AAAA record.  All of them resolve, within one -t.
test_batch_of_1000_lab_names() {
	need_lab
	local names
	fake_init
	names=$FAKE_TMP/names
	for i in $(seq 1 "$DNS_MANY_COUNT"); do
		printf 'host%04d.%s\n' "$i" "$DNS_DOMAIN_MANY"
	done >"$names"
	[ "$(wc -l <"$names")" = 1000 ] || fail "the lab has $DNS_MANY_COUNT names, want 1000"
	run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" -t 10 batch "$names"
	expect_rc 0
	expect_status '^ok=1000 nxdomain=0 nodata=0 servfail=0 refused=0 timeout=0 error=0 seconds='
}

# A server that takes 0.2 s over every answer: one after the other, 1,000
# lookups would take 200 s; at once they take a few seconds (64 in flight:
# 16 rounds of 0.2 s).  The bound, 20 s, is 10 times under the sequential
# time and several times over the concurrent one, load included.
test_batch_is_concurrent() {
	local names secs
	fake_init
	names=$FAKE_TMP/names
	for i in $(seq 1 1000); do printf 'name%04d.fake.test\n' "$i"; done >"$names"
	fake_start dnsfake --mode slow 0.2 --max-seconds 60
	run "$LOOKUP" -s "127.0.0.1:$FAKE_PORT" -4 -t 40 batch "$names"
	# other names than the MX hosts have no A record at dnsfake: NODATA
	expect_status '^ok=0 nxdomain=0 nodata=1000 servfail=0 refused=0 timeout=0 error=0 seconds='
	secs=${status_line##*seconds=}
	python3 -c "import sys; sys.exit(0 if $secs < 20 else 1)" ||
		fail "1000 lookups at 0.2 s each took $secs s: not concurrent"
	[ "$(grep -c '^Q: ' "$FAKE_LOG")" -ge 1000 ] || fail "dnsfake saw $(grep -c '^Q: ' "$FAKE_LOG") queries"
}

# At the deadline every lookup ends, those in flight and those still
# waiting their turn, each with a timeout.
test_batch_ends_at_the_deadline() {
	local names secs
	fake_init
	names=$FAKE_TMP/names
	for i in $(seq 1 300); do printf 'name%04d.fake.test\n' "$i"; done >"$names"
	fake_start dnsfake --mode silence --max-seconds 60
	run "$LOOKUP" -s "127.0.0.1:$FAKE_PORT" -4 -t 2 batch "$names"
	expect_rc 1
	expect_status '^ok=0 nxdomain=0 nodata=0 servfail=0 refused=0 timeout=300 error=0 seconds='
	secs=${status_line##*seconds=}
	python3 -c "import sys; sys.exit(0 if $secs < 6 else 1)" || fail "took $secs s with -t 2"
}
