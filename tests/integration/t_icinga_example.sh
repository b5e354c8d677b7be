# nagios-config/services-example.conf, the Icinga 2 apply rules for one mail
# domain, run by a real Icinga 2 against the lab: its templates and apply
# rules as shipped, the example host replaced by the lab's mail exchanger
# (whose variables carry the lab's ports and DNS server to every service;
# the lab's CA is in SSL_CERT_FILE), our CheckCommands (nagios-config/check_*.conf) and our plugins.
# Every service the rules create is OK at least once, and its last result,
# read back from Icinga's state file, is OK with the status line and the
# perfdata our plugin prints; the round trip's probes are deleted again.

. "$TOP/tests/integration/icinga.sh"

# The services the example's apply rules give a mail exchanger.
EXAMPLE_SERVICES=(mx smtp-starttls smtp-open-relay pop3-mailbox mail-roundtrip-send
	mail-roundtrip-receive ping path)

# example_config PW TOKEN: icinga2.conf with the example's templates and
# rules (the example host removed, the intervals shortened) and the lab's
# mail exchanger as the host.
example_config() {
	local pw=$1 token=$2 dns="$DNS_SERVER:$DNS_PORT" f
	printf 'const PluginDir = %s\n' "$(icp_str "$ICP_DIR/plugins")"
	printf 'const NodeName = "lab"\nconst ZoneName = "lab"\nconst TicketSalt = ""\n'
	printf 'include <itl>\ninclude <plugins>\n'
	for f in "$TOP"/nagios-config/check_*.conf; do cat "$f"; done
	# The example without its host (the block from 'object Host' to the
	# first '}' line), checks every second instead of every few minutes.
	sed -e '/^object Host "mail\.example\.com" {$/,/^}$/d' \
	    -e 's/check_interval = [0-9]*m$/check_interval = 1s/' \
	    -e 's/retry_interval = [0-9]*[ms]$/retry_interval = 1s/' \
	    "$TOP/nagios-config/services-example.conf"
	cat <<EOF
object FileLogger "test-log" {
	path = $(icp_str "$ICP_DIR/log/icinga2.log")
	severity = "information"
}
object CheckerComponent "checker" { }
object GraphiteWriter "graphite" {
	host = "127.0.0.1"
	port = $ICP_PORT
	enable_send_metadata = true
}
object Host "$SMTP_NAME" {
	import "netcheck-mail-host"
	address = "127.0.0.1"
	vars.mail_domain = "$DNS_DOMAIN_NORMAL"
	vars.mail_exchanger = true
	vars.netcheck_dns_mx_expect = [ "mail.lab.test", "mx2.lab.test" ]
	vars.relay_test_to = "probe@elsewhere.example"
	vars.pop3_user = "alice"
	vars.pop3_password_file = $(icp_str "$pw")
	vars.probe_address = "alice@lab.test"
	vars.probe_token = "$token"
	vars.netcheck_dns_mx_servers = [ "$dns" ]
	vars.netcheck_smtp_dialogue_port = $SMTP_PORT
	vars.netcheck_smtp_dialogue_dns_server = "$dns"
	vars.netcheck_pop3_mailbox_port = $POP3S_PORT
	vars.netcheck_pop3_mailbox_dns_server = "$dns"
}
EOF
}

# example_cleanup_mail TOKEN: the probes left in alice's mailbox (one may
# still be on its way) go, so that the seeded counts stay true.
example_cleanup_mail() {
	local i
	for i in $(seq 1 40); do
		run "$CHECKS/check_pop3_mailbox" -H 127.0.0.1 -p "$POP3S_PORT" -S --ca-file "$LAB_CA" \
			-U alice --password-file "$LAB_PWFILE_ALICE" --find-subject "$1" --delete-found -t 10
		[ "$rc" = 0 ] && continue
		run "$CHECKS/check_pop3_mailbox" -H 127.0.0.1 -p "$POP3S_PORT" -S --ca-file "$LAB_CA" \
			-U alice --password-file "$LAB_PWFILE_ALICE" -t 10
		[ "$(perf_value messages)" = "$POP3_ALICE_COUNT" ] && return 0
		sleep 0.5
	done
	fail "alice has $(perf_value messages) messages after the test, not $POP3_ALICE_COUNT"
}

test_icinga2_runs_the_mail_domain_example_with_its_apply_rules() {
	need_root  # icinga2 switches to its own user; setcap
	need_lab
	need_cmd icinga2
	need_cmd python3
	need_cmd setcap
	local pw token=netcheck-probe-$$ svc line state out problems=0
	local -A got want=(
		[mx]='^DNS MX OK - '
		[smtp-starttls]='^SMTP OK - mail\.lab\.test \[(127\.0\.0\.1|::1)\]:[0-9]+ ESMTP, STARTTLS TLSv1\.[23], '
		[smtp-open-relay]='^SMTP OK - .*relay denied'
		[pop3-mailbox]='^POP3 OK - alice@(127\.0\.0\.1|\[::1\]):[0-9]+: [0-9]+ messages?, '
		[mail-roundtrip-send]="^SMTP OK - .*queued as [0-9A-F]+, token $token, "
		[mail-roundtrip-receive]="^POP3 OK - alice@"
		[ping]='^ICMP OK - 127\.0\.0\.1: rta '
		[path]='^HOPS OK - 127\.0\.0\.1 reached in 1 hop, '
	)

	# The lab's CA as a system store would hold it (a host variable
	# netcheck_smtp_dialogue_ca_file would reach the relay test too, which
	# speaks no TLS, and be refused there).
	export SSL_CERT_FILE=$LAB_CA
	icp_setup
	plugin_dir_with_caps "$ICP_DIR/plugins"
	pw=$ICP_DIR/alice.pw
	install -m 600 -o "$ICP_USER" "$LAB_PWFILE_ALICE" "$pw"
	icp_listener
	example_config "$pw" "$token" >"$ICP_DIR/etc/icinga2.conf"
	chmod 644 "$ICP_DIR/etc/icinga2.conf"
	# Nothing may be checked outside the lab: the example's own host is gone.
	! grep -nE 'example\.com|192\.0\.2\.' "$ICP_DIR/etc/icinga2.conf" | grep -v '^[0-9]*: *\*' ||
		fail "the configuration still names the example's hosts"
	run icinga2 daemon -C -c "$ICP_DIR/etc/icinga2.conf" \
		-DConfiguration.ConfigDir="$ICP_DIR/etc" -DConfiguration.DataDir="$ICP_DIR/data" \
		-DConfiguration.LogDir="$ICP_DIR/log" -DConfiguration.CacheDir="$ICP_DIR/cache" \
		-DConfiguration.SpoolDir="$ICP_DIR/spool" -DConfiguration.InitRunDir="$ICP_DIR/run"
	expect_rc 0
	expect_out "Instantiated ${#EXAMPLE_SERVICES[@]} Services\.$"

	# Every service OK at least once (the receiving probe may run before
	# the first probe arrived), two results at least.
	icp_start_icinga
	if ! icp_wait_results "$SMTP_NAME" 2 1 "${EXAMPLE_SERVICES[@]}"; then
		icp_stop_icinga
		example_cleanup_mail "$token"
		return 1
	fi
	icp_stop_icinga
	example_cleanup_mail "$token"

	while IFS=$'\t' read -r svc line; do
		got[$svc]=$line
	done < <(icp_state_results)
	for svc in "${EXAMPLE_SERVICES[@]}"; do
		state=$(cut -f1 <<<"${got[$svc]:-}")
		out=$(cut -f3- <<<"${got[$svc]:-}")
		if [ "$state" != 0 ] || ! [[ $out =~ ${want[$svc]} ]] || ! [[ $out =~ \|\ .*= ]]; then
			complain "$svc: last result state '${state:-none}', output and perfdata:"
			complain "  $out"
			complain "  wanted state 0, output matching ${want[$svc]}, perfdata"
			problems=$((problems + 1))
		fi
	done
	[ "$problems" = 0 ] || fail "$problems service(s) of the example not as they should be"
}
