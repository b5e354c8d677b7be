# Smoke tests of the lab's DNS server (tests/lab/up, NSD): every MX case the
# plugins are tested against answers as the lab says, over IPv4 and IPv6.
# dig is always given the lab server and port: never the machine's resolver.

# q SERVER ARGS...: dig at the lab server, one try, 2 s.
q() {
	local server=$1
	shift
	dig +nosearch +norec +time=2 +tries=1 -p "$DNS_PORT" "@$server" "$@"
}
# mx SERVER DOMAIN: the MX set, "PREF HOST" sorted, one a line.
mx() { q "$1" "$2" MX +short | sort -n -k1,1 -k2; }
# The lab server's addresses: IPv4, and IPv6 unless the machine has none.
servers() {
	printf '%s\n' "$DNS_SERVER"
	[ "${LAB_IPV6:-}" = no ] || printf '%s\n' "$DNS_SERVER6"
}

# expect_lines WHAT WANT GOT
expect_lines() {
	[ "$2" = "$3" ] && return 0
	fail "$1: want [${2//$'\n'/ | }] got [${3//$'\n'/ | }]"
}

test_lab_dns_normal_domain_has_two_mx_hosts_with_addresses() {
	need_lab
	need_cmd dig
	local s want
	want=$(tr ',' '\n' <<<"$DNS_NORMAL_MX" | sed 's/$/./')
	for s in $(servers); do
		expect_lines "MX of $DNS_DOMAIN_NORMAL at $s" "$want" "$(mx "$s" "$DNS_DOMAIN_NORMAL")"
		q "$s" "$DNS_DOMAIN_NORMAL" MX | grep -q 'flags: qr aa' || fail "answer from $s is not authoritative"
		expect_lines "A of mail" 127.0.0.1 "$(q "$s" "mail.$DNS_DOMAIN_NORMAL" A +short)"
		expect_lines "AAAA of mail" ::1 "$(q "$s" "mail.$DNS_DOMAIN_NORMAL" AAAA +short)"
		expect_lines "A of mx2" 127.0.0.2 "$(q "$s" "mx2.$DNS_DOMAIN_NORMAL" A +short)"
		expect_lines "AAAA of mx2" ::1 "$(q "$s" "mx2.$DNS_DOMAIN_NORMAL" AAAA +short)"
	done
}

test_lab_dns_normal_domain_ns_hosts_are_loopback_and_answer() {
	need_lab
	need_cmd dig
	local ns addr addrs=
	expect_lines "NS of $DNS_DOMAIN_NORMAL" "$(tr ' ' '\n' <<<"$DNS_NORMAL_NS" | sed 's/$/./' | sort)" \
		"$(q "$DNS_SERVER" "$DNS_DOMAIN_NORMAL" NS +short | sort)"
	for ns in $DNS_NORMAL_NS; do
		for addr in $(q "$DNS_SERVER" "$ns" A +short) $(q "$DNS_SERVER" "$ns" AAAA +short); do
			case $addr in 127.*|::1) ;; *) fail "$ns has a non-loopback address $addr" ;; esac
			addrs+="$addr "
			[ "$addr" != ::1 ] || [ "${LAB_IPV6:-}" != no ] || continue
			q "$addr" "$DNS_DOMAIN_NORMAL" SOA | grep -q 'flags: qr aa' ||
				fail "name server $ns at [$addr]:$DNS_PORT gives no authoritative SOA"
		done
	done
	expect_lines "NS addresses" "$(tr ' ' '\n' <<<"$DNS_NORMAL_NS_ADDRS" | sort)" \
		"$(tr ' ' '\n' <<<"$addrs" | grep . | sort)"
}

test_lab_dns_domain_without_mx_has_an_address() {
	need_lab
	need_cmd dig
	local s
	for s in $(servers); do
		out=$(q "$s" "$DNS_DOMAIN_NOMX" MX)
		grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: 0,' <<<"$out" ||
			fail "$DNS_DOMAIN_NOMX MX at $s should be an empty NOERROR answer"
		expect_lines "A of $DNS_DOMAIN_NOMX" 127.0.0.1 "$(q "$s" "$DNS_DOMAIN_NOMX" A +short)"
	done
}

test_lab_dns_null_mx() {
	need_lab
	need_cmd dig
	local s
	for s in $(servers); do
		expect_lines "MX of $DNS_DOMAIN_NULLMX at $s" "0 ." "$(mx "$s" "$DNS_DOMAIN_NULLMX")"
	done
}

test_lab_dns_mx_pointing_at_cname() {
	need_lab
	need_cmd dig
	local s
	for s in $(servers); do
		expect_lines "MX of $DNS_DOMAIN_MXCNAME" "10 $DNS_MXCNAME_TARGET." "$(mx "$s" "$DNS_DOMAIN_MXCNAME")"
		expect_lines "CNAME of $DNS_MXCNAME_TARGET" "mail.$DNS_DOMAIN_NORMAL." \
			"$(q "$s" "$DNS_MXCNAME_TARGET" CNAME +short)"
	done
}

test_lab_dns_mx_host_without_address() {
	need_lab
	need_cmd dig
	local s t
	for s in $(servers); do
		expect_lines "MX of $DNS_DOMAIN_MXNOADDR" "10 $DNS_MXNOADDR_TARGET." "$(mx "$s" "$DNS_DOMAIN_MXNOADDR")"
		for t in A AAAA; do
			out=$(q "$s" "$DNS_MXNOADDR_TARGET" "$t")
			grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: 0,' <<<"$out" ||
				fail "$DNS_MXNOADDR_TARGET $t at $s should be an empty NOERROR answer"
		done
	done
}

test_lab_dns_mx_host_does_not_exist() {
	need_lab
	need_cmd dig
	local s
	for s in $(servers); do
		expect_lines "MX of $DNS_DOMAIN_MXNXDOMAIN" "10 $DNS_MXNXDOMAIN_TARGET." "$(mx "$s" "$DNS_DOMAIN_MXNXDOMAIN")"
		q "$s" "$DNS_MXNXDOMAIN_TARGET" A | grep -q 'status: NXDOMAIN' ||
			fail "$DNS_MXNXDOMAIN_TARGET at $s is not NXDOMAIN"
		q "$s" "$DNS_DOMAIN_NXDOMAIN" MX | grep -q 'status: NXDOMAIN' ||
			fail "$DNS_DOMAIN_NXDOMAIN at $s is not NXDOMAIN"
	done
}

test_lab_dns_ip_literal_as_mx_host() {
	need_lab
	need_cmd dig
	local s
	for s in $(servers); do
		expect_lines "MX of $DNS_DOMAIN_MXIP" "10 127.0.0.1." "$(mx "$s" "$DNS_DOMAIN_MXIP")"
	done
}

test_lab_dns_twelve_mx_with_equal_preference() {
	need_lab
	need_cmd dig
	local s got
	for s in $(servers); do
		got=$(mx "$s" "$DNS_DOMAIN_MX12")
		[ "$(grep -c . <<<"$got")" = "$DNS_MX12_COUNT" ] || fail "$DNS_DOMAIN_MX12 at $s has $(grep -c . <<<"$got") MX, want $DNS_MX12_COUNT"
		[ "$(cut -d' ' -f1 <<<"$got" | sort -u)" = 10 ] || fail "preferences differ: $(cut -d' ' -f1 <<<"$got" | sort -u | tr '\n' ' ')"
		[ "$(cut -d' ' -f2 <<<"$got" | sort -u | grep -c .)" = "$DNS_MX12_COUNT" ] || fail "MX hosts are not distinct"
	done
}

test_lab_dns_large_answer_truncated_over_udp_complete_over_tcp() {
	need_lab
	need_cmd dig
	local s
	for s in $(servers); do
		# UDP without EDNS (512 bytes): truncated.
		q "$s" "$DNS_DOMAIN_TRUNC" MX +ignore +noedns | grep -Eq 'flags: qr aa tc;' ||
			fail "$DNS_DOMAIN_TRUNC MX over UDP without EDNS at $s has no tc flag"
		# UDP with EDNS 1232: fits, not truncated.
		q "$s" "$DNS_DOMAIN_TRUNC" MX +ignore +bufsize=1232 | grep -Eq 'flags: qr aa;' ||
			fail "$DNS_DOMAIN_TRUNC MX over UDP with EDNS 1232 at $s is truncated"
		# TCP: the whole set.
		[ "$(q "$s" "$DNS_DOMAIN_TRUNC" MX +tcp +short | grep -c .)" = "$DNS_TRUNC_MX_COUNT" ] ||
			fail "$DNS_DOMAIN_TRUNC MX over TCP at $s is not $DNS_TRUNC_MX_COUNT records"
		# The larger one is truncated even with EDNS 1232.
		q "$s" "$DNS_DOMAIN_TRUNC_EDNS" MX +ignore +bufsize=1232 | grep -Eq 'flags: qr aa tc;' ||
			fail "$DNS_DOMAIN_TRUNC_EDNS MX over UDP with EDNS 1232 at $s has no tc flag"
		[ "$(q "$s" "$DNS_DOMAIN_TRUNC_EDNS" MX +tcp +short | grep -c .)" = "$DNS_TRUNC_EDNS_MX_COUNT" ] ||
			fail "$DNS_DOMAIN_TRUNC_EDNS MX over TCP at $s is not $DNS_TRUNC_EDNS_MX_COUNT records"
	done
}
