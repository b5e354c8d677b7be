# common/resolve (through tests/tools/lookup) against the lab NSD and the
# fake DNS server: what check_dns_mx will be built on.

. "$TOP/tests/fake/lib.sh"

LOOKUP="$TOOLS/lookup"

# The MX set as "PREF HOST" lines, sorted, from dig (the reference), with
# the final dot dropped as we print names (the null MX's "." becomes "").
dig_mx() {
	dig +short +tcp -p "$DNS_PORT" "@$DNS_SERVER" "$1" MX | sed 's/\.$//' | sort
}

test_mx_sets_match_dig_for_every_lab_domain() {
	need_lab
	need_cmd dig
	local dom want got
	for dom in "$DNS_DOMAIN_NORMAL" "$DNS_DOMAIN_NULLMX" "$DNS_DOMAIN_MXCNAME" \
		   "$DNS_DOMAIN_MXNOADDR" "$DNS_DOMAIN_MXNXDOMAIN" "$DNS_DOMAIN_MXIP" \
		   "$DNS_DOMAIN_MX12" "$DNS_DOMAIN_TRUNC" "$DNS_DOMAIN_TRUNC_EDNS"; do
		run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" mx "$dom"
		expect_rc 0
		expect_status '^ok$'
		want=$(dig_mx "$dom")
		got=$(sed -n '3,$p' <<<"$out" | sort)
		[ -n "$want" ] || fail "dig found no MX for $dom"
		[ "$want" = "$got" ] || fail "$dom: dig says [${want//$'\n'/, }], we say [${got//$'\n'/, }]"
	done
}

test_normal_domain_over_ipv4_ipv6_and_tcp() {
	need_lab
	local server
	for server in "$DNS_SERVER:$DNS_PORT" "[${DNS_SERVER6:-::1}]:$DNS_PORT"; do
		[ "${LAB_IPV6:-yes}" != no ] || [[ $server != \[* ]] || continue
		for tcp in "" --tcp; do
			run "$LOOKUP" -s "$server" $tcp mx "$DNS_DOMAIN_NORMAL"
			expect_rc 0
			expect_out '^flags aa( rd)? rcode=0 ttl=[0-9]+$'
			expect_out '^10 mail\.lab\.test$'
			expect_out '^20 mx2\.lab\.test$'
		done
	done
}

test_truncated_udp_answer_is_retried_over_tcp() {
	need_lab
	run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" mx "$DNS_DOMAIN_TRUNC_EDNS"
	expect_rc 0
	[ "$(sed -n '3,$p' <<<"$out" | wc -l)" = "$DNS_TRUNC_EDNS_MX_COUNT" ] ||
		fail "want $DNS_TRUNC_EDNS_MX_COUNT MX records, got: $out"
}

test_nxdomain_names_domain_and_server() {
	need_lab
	run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" mx "$DNS_DOMAIN_NXDOMAIN"
	expect_rc 1
	expect_status '^nxdomain$'
	expect_out '^flags aa( rd)? rcode=3 '
	expect_out "^$DNS_DOMAIN_NXDOMAIN: no such domain \\(NXDOMAIN from $DNS_SERVER:$DNS_PORT\\)$"
}

test_host_addresses_and_family() {
	need_lab
	run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" host "mail.$DNS_DOMAIN_NORMAL"
	expect_rc 0
	expect_out '^127\.0\.0\.1$'
	run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" -4 host "mail.$DNS_DOMAIN_NORMAL"
	expect_rc 0
	expect_no_out '^::1$'
	expect_out '^127\.0\.0\.1$'
	run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" host "$DNS_MXNOADDR_TARGET"
	expect_rc 1
	expect_status '^nodata$'
}

test_ns_records() {
	need_lab
	run "$LOOKUP" -s "$DNS_SERVER:$DNS_PORT" ns "$DNS_DOMAIN_NORMAL"
	expect_rc 0
	expect_out '^ns1\.lab\.test$'
	expect_out '^ns2\.lab\.test$'
}

# A server that never answers: the lookup ends at -t, not later, and says so.
test_silent_server_times_out_at_the_deadline() {
	fake_start dnsfake --listen 127.0.0.1:0 --mode silence
	timed "$LOOKUP" -s "127.0.0.1:$FAKE_PORT" -t 1 mx timeout.test
	expect_rc 1
	expect_status '^timeout$'
	expect_out "^timeout\\.test: no answer from 127\\.0\\.0\\.1:$FAKE_PORT, timed out after 1 s$"
	[ "$elapsed_ms" -ge 1000 ] || fail "took $elapsed_ms ms for a 1 s budget"
	expect_elapsed_below $((1000 + SLACK_MS))
}

test_servfail_and_refused_from_fake() {
	local mode word text
	for mode in servfail:servfail:'server failure \(SERVFAIL' refused:refused:'query refused \(REFUSED'; do
		IFS=: read -r mode word text <<<"$mode"
		fake_start dnsfake --listen 127.0.0.1:0 --mode "$mode"
		run "$LOOKUP" -s "127.0.0.1:$FAKE_PORT" -t 2 mx example.test
		expect_rc 1
		expect_status "^$word\$"
		expect_out "^example\\.test: $text from 127\\.0\\.0\\.1:$FAKE_PORT\\)\$"
	done
}
