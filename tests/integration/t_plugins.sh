# Every plugin: --version, --help, bad arguments, as monitoring-plugins
# users expect them.

PLUGINS="check_icmp_rtt:ICMP check_hops:HOPS check_dns_mx:DNS MX check_smtp_dialogue:SMTP check_pop3_mailbox:POP3"

for_each_plugin() {
	local entry IFS=$'\n'
	for entry in ${PLUGINS// check_/$'\n'check_}; do
		"$1" "${entry%%:*}" "${entry#*:}"
	done
}

# --version and --help exit 3 (UNKNOWN), as monitoring-plugins' do: a
# service whose command has a mistyped "-h HOST" is never green.
version_ok() {
	run "$CHECKS/$1" --version
	expect_rc 3
	expect_status "^$1 \(netcheck\) [0-9]+\.[0-9]+\.[0-9]+$"
	run "$CHECKS/$1" -V
	expect_rc 3
}
test_version() { for_each_plugin version_ok; }

help_ok() {
	run "$CHECKS/$1" -h 127.0.0.1
	expect_rc 3
	expect_out "^Usage: $1 "
	run "$CHECKS/$1" --help
	expect_rc 3
	expect_out "^Usage: $1 "
	expect_out '^ -t, --timeout=SECONDS\[:STATE\]$'
	expect_out '\(default: 10:critical\)'
	expect_out '^     --output=FORMAT$'
	expect_out '^Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
	[ -z "$err" ] || fail "--help wrote to stderr: $err"
}
test_help() { for_each_plugin help_ok; }

bad_args_ok() {
	local svc=$2
	run "$CHECKS/$1" --no-such-option
	expect_rc 3
	expect_status "^$svc UNKNOWN - unknown option '--no-such-option'$"
	expect_out "^Usage: $1 "
	expect_out "^Try '$1 --help' for more information\.$"
	run "$CHECKS/$1" -t 0
	expect_rc 3
	expect_status "^$svc UNKNOWN - -t: '0' is out of range"
	run "$CHECKS/$1" -t 10:sometimes
	expect_rc 3
	expect_status "^$svc UNKNOWN - -t: 'sometimes' is not a state"
	run "$CHECKS/$1" --output=xml
	expect_rc 3
	expect_status "^$svc UNKNOWN - --output: 'xml' is not an output format"
	run "$CHECKS/$1" -H
	expect_rc 3
	expect_status "^$svc UNKNOWN - option '-H' needs an argument$"
	[ -z "$err" ] || fail "bad arguments wrote to stderr: $err"
}
test_bad_arguments() { for_each_plugin bad_args_ok; }

test_bad_threshold_names_the_text() {
	run "$CHECKS/check_smtp_dialogue" -H localhost -w 20:10
	expect_rc 3
	expect_status "^SMTP UNKNOWN - -w: invalid range '20:10': the start is greater than the end$"
	run "$CHECKS/check_smtp_dialogue" -H localhost -c 5xs
	expect_rc 3
	expect_status "^SMTP UNKNOWN - -c: invalid range '5xs': '5xs' has an unknown unit 'xs'"
}

# A usage error goes through the same escaping and format as every output:
# a newline or '|' in an option's value cannot break the status line or
# start perfdata, and --output=json (before or after the bad option) gives
# JSON.
usage_escaped_ok() {
	run "$CHECKS/$1" -w $'1\n2|x=1'
	expect_rc 3
	# (check_icmp_rtt's -w is RTA,PL%, not a range: its message differs,
	# the escaped value is the same.)
	expect_status "^$2 UNKNOWN - -w: .*'1 2/x=1'"
	[ "$(grep -c . <<<"$out")" -ge 2 ] || fail "no usage hint"
	[[ $out != *'|'* ]] || fail "a '|' in the output of a usage error: $out"
	run "$CHECKS/$1" -w 'bad|range' --output=json
	expect_rc 3
	expect_status "^\{\"service\":\"$2\",\"state\":\"UNKNOWN\",\"exit_code\":3,\"summary\":\"-w: [^\"]*'bad\|range'"
	python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); assert d["state"] == "UNKNOWN"' <<<"$out" ||
		fail "not one JSON document: $out"
	run "$CHECKS/$1" --output json --no-such-option
	expect_rc 3
	expect_status "^\{\"service\":\"$2\",\"state\":\"UNKNOWN\",.*unknown option '--no-such-option'"
}
test_usage_errors_are_escaped_and_formatted() {
	need_cmd python3
	for_each_plugin usage_escaped_ok
}

# An option of the monitoring-plugins plugin a plugin replaces, which it
# does not take, is refused (UNKNOWN) with what to use instead: a service
# definition carried over never runs with an option silently dropped.
test_options_of_the_replaced_plugins_are_refused_with_advice() {
	local args want
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run $args
		expect_rc 3
		expect_status "^[A-Z0-9 ]+ UNKNOWN - option '[^']+' is not taken \\($want"
	done <<-EOF
		$CHECKS/check_icmp_rtt -p 3 127.0.0.1|check_ping's packets: use -n, or call this program by the name check_ping\\)
		$CHECKS/check_icmp_rtt --extra-opts=x 127.0.0.1|put the options on the command line
		$CHECKS/check_smtp_dialogue -H 127.0.0.1 --extra-opts=x|put the options on the command line
		$CHECKS/check_pop3_mailbox -H 127.0.0.1 -s x|check_pop's string to send
		$CHECKS/check_pop3_mailbox -H 127.0.0.1 -U u --sni=x|check_pop's SNI name
		$CHECKS/check_dns_mx -H example.test -l example.test|check_dig's name to look up: use -d DOMAIN
		$CHECKS/check_dns_mx -d example.test -n|check_dns's: a domain that does not exist
	EOF
}
