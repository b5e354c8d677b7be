# check_dns_mx against the lab NSD (every MX case of issue 7) and the fake
# DNS server (failures, silence, disagreeing servers).  Every run names its
# server with -s or --ns-address: the machine's resolver is never asked,
# except inside a private network namespace (test_system_resolvers_in_netns).

. "$TOP/tests/fake/lib.sh"

LABELS=(time mx addresses ttl)

# The lab server as -s wants it.
lab() { printf '%s:%s' "$DNS_SERVER" "$DNS_PORT"; }
# Regex-quoted text.
rq() { sed 's/[][\.*^$(){}+?|/]/\\&/g' <<<"$1"; }

# The MX set from the raw answer check_dns_mx prints with -v, "PREF HOST"
# sorted, as dig prints it (final dots dropped).
our_mx() {
	awk -v d="$1." '$1 == d && $3 == "IN" && $4 == "MX" {print $5, $6}' <<<"$out" |
		sed 's/\.$//' | sort
}
dig_mx() {
	dig +short +tcp +norec -p "$DNS_PORT" "@$DNS_SERVER" "$1" MX | sed 's/\.$//' | sort
}

test_help_names_every_option_and_its_default() {
	local o
	run "$MX" --help
	expect_rc 3
	expect_out '^Usage: check_dns_mx -d DOMAIN '
	for o in '-d, --domain=DOMAIN' '-s, --server=SERVER\[:PORT\]' '--tcp' '--no-recursion' \
		 '--allow-implicit-mx' '--expect-null-mx' '--no-resolve' '--expect=HOST\[,HOST\.\.\.\]' \
		 '--expect-subset' '--expect-preference=HOST=N' '-m, --min-mx=N' '--authoritative' \
		 '--min-ttl=SECONDS' '--require-ad' '--all-servers' '--ns-address=ADDR\[:PORT\]' \
		 '--ns-port=PORT' '-H, --hostname=HOST' '-4, --ipv4' '-6, --ipv6' \
		 '-w, --warning=RANGE' '-c, --critical=RANGE' '-t, --timeout'; do
		expect_out "^ +$o"
	done
	# Every option's text ends with its default.
	local n_opts n_defaults
	n_opts=$(grep -cE '^ (-[A-Za-z0-9],|    ) --' <<<"$out")
	n_defaults=$(grep -c '(default: ' <<<"$out")
	[ "$n_defaults" -ge $((n_opts - 2)) ] || fail "$n_opts options, $n_defaults defaults"
	# (the help wraps its lines: the words may be split over two)
	[[ $(tr -s ' \n' '  ' <<<"$out") == *"(default: the system's resolvers"* ]] ||
		fail "--help does not name the system's resolvers as the default"
	expect_out '\(default: *$'
	expect_no_out 'NOT IMPLEMENTED'
}

test_bad_arguments_are_unknown_with_a_clear_message() {
	local args want
	while IFS='|' read -r args want; do
		run "$MX" $args
		expect_rc 3
		expect_status "^DNS MX UNKNOWN - $want"
		expect_out "^Usage: check_dns_mx "
	done <<'EOF'
|no domain given \(-d DOMAIN\)$
-d lab.test --expect-subset|--expect-subset needs --expect$
-d lab.test -s 127.0.0.1:99999|-s: '127\.0\.0\.1:99999' is not a DNS server address
-d lab.test -s nameserver.test|-s: 'nameserver\.test' is not a DNS server address
-d lab.test -m 0|-m: '0' is out of range
-d lab.test -m two|-m: 'two' is not an integer
-d a..b|-d: 'a\.\.b' is not a domain name
-d lab.test -H other.test|-d and -H name different domains
-d lab.test --expect-preference=mail.lab.test|--expect-preference: 'mail\.lab\.test' is not HOST=PREFERENCE
-d lab.test --expect-preference=mail.lab.test=x|--expect-preference: 'x' is not an integer
-d lab.test --expect=a.test,|--expect: 'a\.test,' ends with a comma
-d lab.test --min-ttl=5x|--min-ttl: '5x' has an unknown unit
-d lab.test -w 1x|-w: invalid range '1x'
-d lab.test -c 20:10|-c: invalid range '20:10'
-d lab.test --ns-port=53|--ns-port needs --all-servers
-d lab.test --ns-address=::1:53:x|--ns-address: '::1:53:x' is not a DNS server address
-d lab.test -t 0|-t: '0' is out of range
EOF
	# A family without a server of it: UNKNOWN, before any query.
	run "$MX" -d lab.test -6 -s 127.0.0.1:9
	expect_rc 3
	expect_status "^DNS MX UNKNOWN - lab\.test: no IPv6 server in '127\.0\.0\.1:9'"
}

test_normal_domain_status_line_perfdata_and_long_output() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)"
	expect_rc 0
	expect_status '^DNS MX OK - lab\.test: 2 MX: 10 mail\.lab\.test \(127\.0\.0\.1, ::1\), 20 mx2\.lab\.test \(127\.0\.0\.2, ::1\), [0-9.]+ ms \| '
	expect_perf_labels "${LABELS[@]}"
	[[ $perf =~ ^time=[0-9.]+s\;\;\;0\ mx=2\;\;\;0\ addresses=4\;\;\;0\ ttl=300s\;\;\;0$ ]] ||
		fail "perfdata: $perf"
	expect_out '^\[OK\] 10 mail\.lab\.test: 127\.0\.0\.1, ::1$'
	expect_out '^\[OK\] 20 mx2\.lab\.test: 127\.0\.0\.2, ::1$'
	[ "$(wc -l <<<"$out")" = 3 ] || fail "want 3 lines without -v: $out"
	# -H is the same as -d; the domain may end with a dot.
	run "$MX" -H "$DNS_DOMAIN_NORMAL." -s "$(lab)"
	expect_rc 0
	expect_status '^DNS MX OK - lab\.test: 2 MX: '
}

test_ipv6_server_tcp_and_family() {
	need_lab
	[ "${LAB_IPV6:-}" != no ] || skip "the lab has no IPv6"
	local a
	for a in "-s [::1]:$DNS_PORT" "-s [::1]:$DNS_PORT --tcp" "-s $(lab) --tcp" \
		 "-6 -s $(lab) -s [::1]:$DNS_PORT" "-4 -s [::1]:$DNS_PORT -s $(lab)"; do
		run "$MX" -d "$DNS_DOMAIN_NORMAL" $a -v
		expect_rc 0
		expect_status '^DNS MX OK - lab\.test: 2 MX: '
	done
	# -6 keeps only the IPv6 server: it is the one asked and answering.
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -6 -s "$(lab)" -s "[::1]:$DNS_PORT" -v
	expect_out "^asking \\[::1\\]:$DNS_PORT for lab\\.test MX"
	expect_out "^MX lab\\.test: NOERROR from \\[::1\\]:$DNS_PORT over UDP "
	run "$MX" -d "$DNS_DOMAIN_NORMAL" --tcp -s "$(lab)" -v
	expect_out "^MX lab\\.test: NOERROR from 127\\.0\\.0\\.1:$DNS_PORT over TCP in "
}

test_mx_sets_match_dig_for_every_lab_domain() {
	need_lab
	need_cmd dig
	local dom want got
	for dom in "$DNS_DOMAIN_NORMAL" "$DNS_DOMAIN_NULLMX" "$DNS_DOMAIN_MXCNAME" \
		   "$DNS_DOMAIN_MXNOADDR" "$DNS_DOMAIN_MXNXDOMAIN" "$DNS_DOMAIN_MXIP" \
		   "$DNS_DOMAIN_MX12" "$DNS_DOMAIN_TRUNC" "$DNS_DOMAIN_TRUNC_EDNS"; do
		run "$MX" -d "$dom" -s "$(lab)" --no-resolve -v
		want=$(dig_mx "$dom")
		got=$(our_mx "$dom")
		[ -n "$want" ] || fail "dig found no MX for $dom"
		[ "$want" = "$got" ] || fail "$dom: dig says [${want//$'\n'/, }], we say [${got//$'\n'/, }]"
		# The status line counts the same records.
		expect_status "^DNS MX [A-Z]+ - $(rq "$dom"): ($(grep -c . <<<"$want") MX: |domain accepts no mail)"
	done
	# A domain without MX: dig has none, neither do we.
	run "$MX" -d "$DNS_DOMAIN_NOMX" -s "$(lab)" --no-resolve -v
	[ -z "$(dig_mx "$DNS_DOMAIN_NOMX")" ] && [ -z "$(our_mx "$DNS_DOMAIN_NOMX")" ] ||
		fail "$DNS_DOMAIN_NOMX should have no MX"
}

test_no_mx_records() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_NOMX" -s "$(lab)"
	expect_rc 2
	expect_status '^DNS MX CRITICAL - nomx\.test: no MX records, [0-9.]+ ms \| '
	expect_perf_labels "${LABELS[@]}"
	[[ $perf == *' mx=0;;;0 addresses=U;;;0 ttl=U;;;0' ]] || fail "perfdata: $perf"
	# With --allow-implicit-mx the domain's own address takes mail.
	run "$MX" -d "$DNS_DOMAIN_NOMX" -s "$(lab)" --allow-implicit-mx
	expect_rc 1
	expect_status "^DNS MX WARNING - nomx\\.test: no MX; mail falls back to the domain's address \\(RFC 5321 5\\.1\\): 127\\.0\\.0\\.1, ::1, "
	[[ $perf == *' mx=0;;;0 addresses=2;;;0 ttl=U;;;0' ]] || fail "perfdata: $perf"
	# No MX and no address either: CRITICAL even so.
	run "$MX" -d "$DNS_MXNOADDR_TARGET" -s "$(lab)" --allow-implicit-mx
	expect_rc 2
	expect_status "^DNS MX CRITICAL - $(rq "$DNS_MXNOADDR_TARGET"): no MX records, and no A or AAAA record either"
}

test_null_mx() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_NULLMX" -s "$(lab)"
	expect_rc 2
	expect_status "^DNS MX CRITICAL - nullmx\\.test: domain accepts no mail \\(null MX '0 \\.', RFC 7505\\), [0-9.]+ ms \\| "
	expect_perf_labels "${LABELS[@]}"
	run "$MX" -d "$DNS_DOMAIN_NULLMX" -s "$(lab)" --expect-null-mx
	expect_rc 0
	expect_status '^DNS MX OK - nullmx\.test: null MX \(accepts no mail, as expected\), '
	expect_out '^\[OK\] null MX \(RFC 7505\): the domain accepts no mail, as expected$'
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" --expect-null-mx
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: expected a null MX, found 2 MX; 2 MX: '
	run "$MX" -d "$DNS_DOMAIN_NOMX" -s "$(lab)" --expect-null-mx
	expect_rc 2
	expect_status '^DNS MX CRITICAL - nomx\.test: no MX records \(expected a null MX\)'
}

test_mx_host_is_a_cname() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_MXCNAME" -s "$(lab)"
	expect_rc 1
	expect_status "^DNS MX WARNING - mxcname\\.test: MX host alias\\.mxcname\\.test: a CNAME for mail\\.lab\\.test \\(RFC 2181 10\\.3\\); 1 MX: 10 alias\\.mxcname\\.test \\(127\\.0\\.0\\.1, ::1\\), "
	expect_out '^\[WARNING\] 10 alias\.mxcname\.test: a CNAME for mail\.lab\.test \(RFC 2181 10\.3\); 127\.0\.0\.1, ::1$'
	expect_perf_labels "${LABELS[@]}"
	[[ $perf == *' mx=1;;;0 addresses=2;;;0 ttl=300s;;;0' ]] || fail "perfdata: $perf"
}

test_mx_host_without_address() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_MXNOADDR" -s "$(lab)"
	expect_rc 2
	expect_status '^DNS MX CRITICAL - mxnoaddr\.test: MX host noaddr\.mxnoaddr\.test: no address \(no A or AAAA record\); 1 MX: 10 noaddr\.mxnoaddr\.test \(no address\), '
	expect_out '^\[CRITICAL\] 10 noaddr\.mxnoaddr\.test: no address \(no A or AAAA record\)$'
	[[ $perf == *' mx=1;;;0 addresses=0;;;0 ttl=300s;;;0' ]] || fail "perfdata: $perf"
	# Without resolving, the MX set alone is fine.
	run "$MX" -d "$DNS_DOMAIN_MXNOADDR" -s "$(lab)" --no-resolve
	expect_rc 0
	expect_status '^DNS MX OK - mxnoaddr\.test: 1 MX: 10 noaddr\.mxnoaddr\.test, '
	# nothing looked up: no addresses label (not a U on an OK run)
	[[ $perf =~ ^time=[0-9.]+s\;\;\;0\ mx=1\;\;\;0\ ttl=300s\;\;\;0$ ]] || fail "perfdata: $perf"
}

test_mx_host_does_not_exist() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_MXNXDOMAIN" -s "$(lab)"
	expect_rc 2
	expect_status "^DNS MX CRITICAL - mxnxdomain\\.test: MX host nowhere\\.mxnxdomain\\.test: does not exist \\(NXDOMAIN from 127\\.0\\.0\\.1:$DNS_PORT\\); 1 MX: 10 nowhere\\.mxnxdomain\\.test \\(does not exist\\), "
	expect_out "^\\[CRITICAL\\] 10 nowhere\\.mxnxdomain\\.test: does not exist \\(NXDOMAIN from 127\\.0\\.0\\.1:$DNS_PORT\\)$"
	expect_perf_labels "${LABELS[@]}"
}

test_mx_host_is_an_ip_literal() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_MXIP" -s "$(lab)"
	expect_rc 1
	expect_status '^DNS MX WARNING - mxip\.test: MX host 127\.0\.0\.1: an IP address, not a host name \(RFC 5321 2\.3\.5\); taken as its address; 1 MX: 10 127\.0\.0\.1 \(127\.0\.0\.1\), '
	expect_perf_labels "${LABELS[@]}"
}

test_twelve_mx_with_equal_preference() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_MX12" -s "$(lab)"
	expect_rc 0
	expect_status '^DNS MX OK - mx12\.test: 12 MX: 10 mx01\.mx12\.test \(127\.0\.0\.1\), 10 mx02\.mx12\.test \(127\.0\.0\.1\), .*, 10 mx12\.mx12\.test \(127\.0\.0\.1\), [0-9.]+ ms \| '
	[[ $perf == *' mx=12;;;0 addresses=12;;;0 ttl=300s;;;0' ]] || fail "perfdata: $perf"
	[ "$(grep -c '^\[OK\] 10 mx[0-9][0-9]\.mx12\.test: 127\.0\.0\.1$' <<<"$out")" = 12 ] ||
		fail "want one long-output line per MX host: $out"
}

test_truncated_answer_is_retried_over_tcp() {
	need_lab
	local dom n
	for dom in "$DNS_DOMAIN_TRUNC:$DNS_TRUNC_MX_COUNT" "$DNS_DOMAIN_TRUNC_EDNS:$DNS_TRUNC_EDNS_MX_COUNT"; do
		n=${dom#*:} dom=${dom%%:*}
		run "$MX" -d "$dom" -s "$(lab)" --no-resolve -v
		expect_rc 0
		expect_status "^DNS MX OK - $(rq "$dom"): $n MX: 10 mail-exchanger-"
		expect_out "^MX $(rq "$dom"): NOERROR from 127\\.0\\.0\\.1:$DNS_PORT over TCP \\(the UDP answer was truncated\\) in "
		[ "$(grep -c "^\\[OK\\] [0-9]* mail-exchanger-" <<<"$out")" = "$n" ] || fail "want $n MX lines"
	done
	# The fake's log shows the UDP try, then TCP.
	fake_start dnsfake --mode truncate
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 3 --no-resolve
	expect_rc 0
	expect_status '^DNS MX OK - example\.test: 2 MX: 10 mx1\.fake\.test, 20 mx2\.fake\.test, '
	grep -q '^Q: udp example\.test MX' "$FAKE_LOG" && grep -q '^Q: tcp example\.test MX' "$FAKE_LOG" ||
		fail "no UDP then TCP query: $(cat "$FAKE_LOG")"
}

test_domain_does_not_exist() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_NXDOMAIN" -s "$(lab)"
	expect_rc 2
	expect_status "^DNS MX CRITICAL - $(rq "$DNS_DOMAIN_NXDOMAIN"): domain does not exist \\(NXDOMAIN from 127\\.0\\.0\\.1:$DNS_PORT\\), [0-9.]+ ms \\| "
	expect_perf_labels "${LABELS[@]}"
	[[ $perf == *' mx=0;;;0 addresses=U;;;0 ttl=U;;;0' ]] || fail "perfdata: $perf"
}

test_expectations() {
	need_lab
	local d=$DNS_DOMAIN_NORMAL s
	s=$(lab)
	run "$MX" -d "$d" -s "$s" --expect mx2.lab.test,MAIL.lab.test. --expect-preference mail.lab.test=10 \
		--expect-preference=mx2.lab.test=20 -m 2 --authoritative --min-ttl 300
	expect_rc 0
	expect_status '^DNS MX OK - lab\.test: 2 MX: '
	run "$MX" -d "$d" -s "$s" --expect mail.lab.test
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: unexpected MX host mx2\.lab\.test; 2 MX: '
	run "$MX" -d "$d" -s "$s" --expect mail.lab.test --expect-subset
	expect_rc 0
	run "$MX" -d "$d" -s "$s" --expect mail.lab.test,mx3.lab.test --expect-subset
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: expected MX host mx3\.lab\.test is missing; '
	run "$MX" -d "$d" -s "$s" --expect-preference=mx2.lab.test=5
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: MX host mx2\.lab\.test has preference 20, expected 5; '
	run "$MX" -d "$d" -s "$s" --expect-preference=mx9.lab.test=5
	expect_rc 2
	expect_out '^\[CRITICAL\] MX host mx9\.lab\.test \(expected with preference 5\) is missing$'
	run "$MX" -d "$d" -s "$s" -m 3
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: 2 MX hosts, expected at least 3; '
	run "$MX" -d "$d" -s "$s" --min-ttl 1h
	expect_rc 1
	expect_status '^DNS MX WARNING - lab\.test: the lowest TTL of the MX records is 300 s, below 3600 s; '
	# Two problems of the same state: the first, and how many more.
	run "$MX" -d "$d" -s "$s" -m 3 --expect mail.lab.test
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: 2 MX hosts, expected at least 3 \(and 1 more\); '
	# NSD validates nothing: the AD bit is never set.
	run "$MX" -d "$d" -s "$s" --require-ad -v
	expect_rc 2
	expect_status "^DNS MX CRITICAL - lab\\.test: the answer from 127\\.0\\.0\\.1:$DNS_PORT is not DNSSEC-validated \\(AD bit not set\\); 2 MX: "
	expect_out '^asking .* \(UDP, TCP when truncated, recursion desired, AD bit set\)$'
	run "$MX" -d "$d" -s "$s" --no-recursion -v
	expect_rc 0
	expect_out '^asking .*, no recursion\)$'
	expect_out '^MX lab\.test: NOERROR from .* flags: qr aa, 2 answers$'
}

test_query_time_thresholds() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" -w 1us
	expect_rc 1
	expect_status '^DNS MX WARNING - lab\.test: the MX query took [0-9.]+ ms \(warning over 0\.001 ms\); 2 MX: '
	[[ $perf == time=*s\;0.000001\;\;0\ * ]] || fail "perfdata: $perf"
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" -w 1us -c 0.000002
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: the MX query took [0-9.]+ ms \(critical over 0\.002 ms\); '
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" -w 500ms -c 2
	expect_rc 0
	[[ $perf == time=*s\;0.5\;2\;0\ mx=2* ]] || fail "perfdata: $perf"
	expect_perf_labels "${LABELS[@]}"
}

test_json_output() {
	need_lab
	need_cmd python3
	run "$MX" -d "$DNS_DOMAIN_MXCNAME" -s "$(lab)" --output=json
	expect_rc 1
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["service"] == "DNS MX" and d["state"] == "WARNING" and d["exit_code"] == 1, d
assert [m["label"] for m in d["metrics"]] == ["time", "mx", "addresses", "ttl"], d
assert d["metrics"][1]["value"] == 1 and d["metrics"][3]["value"] == 300, d
assert d["results"][0]["state"] == "WARNING" and "RFC 2181" in d["results"][0]["text"], d
assert d["summary"].startswith("mxcname.test: MX host alias.mxcname.test: a CNAME"), d
' "$out" || fail "bad JSON: $out"
	run "$MX" -d "$DNS_DOMAIN_NXDOMAIN" -s "$(lab)" --output=json -v
	expect_rc 2
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["state"] == "CRITICAL", d
assert [m["value"] for m in d["metrics"]][1:] == [0, None, None], d
assert any(x["text"].startswith("asking ") for x in d["details"]), d
' "$out" || fail "bad JSON: $out"
}

test_verbose_shows_servers_and_raw_answers() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" -v
	expect_rc 0
	expect_out "^asking 127\\.0\\.0\\.1:$DNS_PORT for lab\\.test MX \\(UDP, TCP when truncated, recursion desired\\)$"
	expect_out "^MX lab\\.test: NOERROR from 127\\.0\\.0\\.1:$DNS_PORT over UDP in [0-9.]+ ms, flags: qr aa rd, 2 answers$"
	expect_out '^  lab\.test\. 300 IN MX 10 mail\.lab\.test\.$'
	expect_out '^A mail\.lab\.test: NOERROR '
	expect_out '^  mail\.lab\.test\. 300 IN AAAA ::1$'
	expect_no_out '^whole run: '
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" -vv
	expect_out '^whole run: [0-9.]+ ms$'
}

test_all_servers_agree_in_the_lab() {
	need_lab
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" --all-servers --ns-port "$DNS_PORT" -v
	if [ "${LAB_IPV6:-}" = no ]; then
		expect_rc 2 # ns1's ::1 cannot answer: that is reported
		return 0
	fi
	expect_rc 0
	expect_status '^DNS MX OK - lab\.test: 2 MX: '
	expect_out "^\\[OK\\] all 3 name servers give the same MX set: ns1\\.lab\\.test \\(\\[::1\\]:$DNS_PORT\\), ns1\\.lab\\.test \\(127\\.0\\.0\\.1:$DNS_PORT\\), ns2\\.lab\\.test \\(127\\.0\\.0\\.2:$DNS_PORT\\)$"
	expect_out "^MX lab\\.test: NOERROR from 127\\.0\\.0\\.2:$DNS_PORT over UDP "
	expect_perf_labels "${LABELS[@]}"
	# A name below the zone apex: the NS records of the zone above are used.
	run "$MX" -d "mail.$DNS_DOMAIN_NORMAL" -s "$(lab)" --all-servers --ns-port "$DNS_PORT" -v
	expect_rc 2
	expect_status '^DNS MX CRITICAL - mail\.lab\.test: no MX records, '
	expect_out '^all servers: 3 addresses of the name servers of lab\.test$'
	expect_out '^\[OK\] all 3 name servers give the same MX set: '
	# -4: only the IPv4 addresses of the name servers.
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" --all-servers --ns-port "$DNS_PORT" -4
	expect_rc 0
	expect_out "^\\[OK\\] all 2 name servers give the same MX set: ns1\\.lab\\.test \\(127\\.0\\.0\\.1:$DNS_PORT\\), ns2\\.lab\\.test \\(127\\.0\\.0\\.2:$DNS_PORT\\)$"
	# On port 53 of the lab addresses nobody answers: that is no agreement.
	run "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$(lab)" --all-servers -4 -t 2
	expect_rc 2
	expect_status '^DNS MX CRITICAL - lab\.test: the name servers disagree; 2 MX: '
}

test_all_servers_disagree_with_fakes() {
	local a b
	fake_start dnsfake --listen 127.0.0.1:0 --mx '10 mx1.fake.test,20 mx2.fake.test'
	a=$FAKE_PORT
	fake_start dnsfake --listen 127.0.0.2:0 --mx '10 mx1.fake.test,30 mx3.fake.test'
	b=$FAKE_PORT
	run "$MX" -d example.test -s "127.0.0.1:$a" --ns-address "127.0.0.1:$a" --ns-address "127.0.0.2:$b" -t 3
	expect_rc 2
	expect_status '^DNS MX CRITICAL - example\.test: the name servers disagree; 2 MX: 10 mx1\.fake\.test \(127\.0\.0\.1\), 20 mx2\.fake\.test \(127\.0\.0\.2\), '
	expect_out "^\\[CRITICAL\\] name servers disagree: 127\\.0\\.0\\.1:$a: 10 mx1\\.fake\\.test, 20 mx2\\.fake\\.test; 127\\.0\\.0\\.2:$b: 10 mx1\\.fake\\.test, 30 mx3\\.fake\\.test$"
	expect_perf_labels "${LABELS[@]}"
	# The same preferences matter too.
	fake_start dnsfake --listen 127.0.0.2:0 --mx '20 mx1.fake.test,20 mx2.fake.test'
	run "$MX" -d example.test -s "127.0.0.1:$a" --ns-address "127.0.0.1:$a" --ns-address "127.0.0.2:$FAKE_PORT" -t 3
	expect_rc 2
	expect_out "127\\.0\\.0\\.2:$FAKE_PORT: 20 mx1\\.fake\\.test, 20 mx2\\.fake\\.test$"
	# Agreement.
	run "$MX" -d example.test -s "127.0.0.1:$a" --ns-address "127.0.0.1:$a" --ns-address "127.0.0.1:$a"
	expect_rc 0
	expect_out "^\\[OK\\] all 2 name servers give the same MX set: 127\\.0\\.0\\.1:$a, 127\\.0\\.0\\.1:$a$"
	# A silent one gets its share of the time, the others still answer.
	fake_start dnsfake --listen 127.0.0.1:0 --mode silence
	timed "$MX" -d example.test -s "127.0.0.1:$a" --ns-address "127.0.0.1:$FAKE_PORT" --ns-address "127.0.0.1:$a" -t 2
	expect_rc 2
	expect_out "^\\[CRITICAL\\] name servers disagree: 127\\.0\\.0\\.1:$FAKE_PORT: timed out; 127\\.0\\.0\\.1:$a: 10 mx1\\.fake\\.test, 20 mx2\\.fake\\.test$"
	expect_elapsed_below $((2000 + SLACK_MS))
}

test_fake_server_failures_name_the_server() {
	local mode want
	while IFS='#' read -r mode want; do
		fake_start dnsfake --mode "$mode"
		run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 2
		expect_rc 2
		expect_status "^DNS MX CRITICAL - example\\.test: ${want//PORT/$FAKE_PORT}"
		expect_perf_labels "${LABELS[@]}"
		[[ $perf == *' mx=U;;;0 addresses=U;;;0 ttl=U;;;0' || $mode == nxdomain ]] || fail "perfdata: $perf"
	done <<'EOF'
servfail#server failure \(SERVFAIL from 127\.0\.0\.1:PORT\), [0-9.]+ ms \|
refused#query refused \(REFUSED from 127\.0\.0\.1:PORT\), [0-9.]+ ms \|
nxdomain#domain does not exist \(NXDOMAIN from 127\.0\.0\.1:PORT\)
malformed#malformed reply from 127\.0\.0\.1:PORT \|
EOF
	local kind
	for kind in short truncated loop badlen garbage; do
		fake_start dnsfake --mode malformed --malformed "$kind"
		run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 1
		expect_rc 2
		expect_status "^DNS MX CRITICAL - example\\.test: (malformed reply from|no answer from) 127\\.0\\.0\\.1:$FAKE_PORT"
	done
	# Wrong ID: c-ares ignores the answer, so nothing answered in time.
	fake_start dnsfake --mode wrong-id
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 1
	expect_rc 2
	expect_status "^DNS MX CRITICAL - example\\.test: no answer from 127\\.0\\.0\\.1:$FAKE_PORT, timed out after 1 s \\|"
}

test_silent_server_ends_at_the_deadline() {
	fake_start dnsfake --mode silence
	timed "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 1
	expect_rc 2
	expect_status "^DNS MX CRITICAL - example\\.test: no answer from 127\\.0\\.0\\.1:$FAKE_PORT, timed out after 1 s \\| time=U;;;0 mx=U;;;0 addresses=U;;;0 ttl=U;;;0$"
	[ "$elapsed_ms" -ge 900 ] || fail "took $elapsed_ms ms for a 1 s budget"
	expect_elapsed_below $((1000 + SLACK_MS))
	# -t N:STATE chooses the state.
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 500ms:warning
	expect_rc 1
	expect_status '^DNS MX WARNING - example\.test: no answer from '
	# A slow answer within the budget is fine; the time shows it.
	fake_start dnsfake --mode slow 0.3
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 3 -w 0.2 --no-resolve
	expect_rc 1
	expect_status '^DNS MX WARNING - example\.test: the MX query took [0-9]+ ms \(warning over 200 ms\); 2 MX: '
}

test_fake_mx_variants() {
	fake_start dnsfake --mx '10 mx1.fake.test,20 gone.fake.test=none'
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 3
	expect_rc 2
	expect_status "^DNS MX CRITICAL - example\\.test: MX host gone\\.fake\\.test: does not exist \\(NXDOMAIN from 127\\.0\\.0\\.1:$FAKE_PORT\\); 2 MX: 10 mx1\\.fake\\.test \\(127\\.0\\.0\\.1\\), 20 gone\\.fake\\.test \\(does not exist\\), "
	expect_out '^\[OK\] 10 mx1\.fake\.test: 127\.0\.0\.1$'
	[[ $perf == *' mx=2;;;0 addresses=1;;;0 ttl=300s;;;0' ]] || fail "perfdata: $perf"
	# A null MX next to real ones (RFC 7505 3 forbids it).
	fake_start dnsfake --mx '0 .,10 mx1.fake.test'
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 3
	expect_rc 1
	expect_status '^DNS MX WARNING - example\.test: MX host \.: a null MX among other MX records'
	# No MX at all (NODATA).
	fake_start dnsfake --mx ''
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 3
	expect_rc 2
	expect_status '^DNS MX CRITICAL - example\.test: no MX records, '
	# Several addresses, IPv6 among them.
	fake_start dnsfake --mx '5 a.fake.test=127.0.0.9/::1'
	run "$MX" -d example.test -s "127.0.0.1:$FAKE_PORT" -t 3
	expect_rc 0
	expect_status '^DNS MX OK - example\.test: 1 MX: 5 a\.fake\.test \(127\.0\.0\.9, ::1\), '
}

# The default (no -s): c-ares reads /etc/resolv.conf.  Only inside a private
# network namespace whose resolv.conf names a fake on its own 127.0.0.1:53;
# the namespace has no route anywhere else.
test_system_resolvers_in_netns() {
	need_root
	need_cmd ip
	local ns=dnsmx$$
	fake_init # before our trap: it sets one of its own
	ip netns add "$ns" || skip "cannot make a network namespace"
	trap 'ip netns pids '"$ns"' 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del '"$ns"'; rm -rf /etc/netns/'"$ns"'; fake_cleanup' EXIT
	ip -n "$ns" link set lo up
	mkdir -p "/etc/netns/$ns"
	echo 'nameserver 127.0.0.1' >"/etc/netns/$ns/resolv.conf"
	[ -z "$(ip -n "$ns" route show)" ] || fail "the namespace has routes"
	ip netns exec "$ns" "$TOP/tests/fake/dnsfake" --listen 127.0.0.1:53 --portfile "$FAKE_TMP/p" \
		--log "$FAKE_TMP/log" --max-seconds 20 >/dev/null 2>&1 &
	FAKE_PIDS+=($!)
	local i
	for ((i = 0; i < 100; i++)); do [ -s "$FAKE_TMP/p" ] && break; sleep 0.05; done
	run ip netns exec "$ns" "$MX" -d example.test -t 3 -v
	expect_rc 0
	expect_status '^DNS MX OK - example\.test: 2 MX: 10 mx1\.fake\.test \(127\.0\.0\.1\), '
	expect_out '^asking 127\.0\.0\.1:53 for example\.test MX '
	grep -q '^Q: udp example\.test MX' "$FAKE_TMP/log" || fail "the fake was not asked"
	# -6: the system has no IPv6 server there.
	run ip netns exec "$ns" "$MX" -d example.test -t 3 -6
	expect_rc 3
	expect_status '^DNS MX UNKNOWN - example\.test: the system has no IPv6 DNS server'
}
