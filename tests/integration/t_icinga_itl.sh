# A drop-in for monitoring-plugins, proved with the real daemon: Icinga 2
# runs the Icinga Template Library's own CheckCommands (smtp, pop, icmp,
# ping4, ping6) with their usual custom variables against the lab, twice:
# once with PluginDir at monitoring-plugins (/usr/lib/nagios/plugins), once
# with PluginDir at a folder where check_smtp, check_pop, check_icmp and
# check_ping are links to our plugins.  Every service must get the same
# state both ways, the one the table below names, and the second run must
# really have run ours.
#
# Our plugins verify the server's certificate (chain and name), which
# check_smtp and check_pop do not: the lab's private CA reaches them as a
# deployment would give it, through SSL_CERT_FILE in the daemon's
# environment (docs/migrating.md).

. "$TOP/tests/integration/icinga.sh"

MP_DIR=/usr/lib/nagios/plugins

# itl_services: "name|state with monitoring-plugins|state with ours|vars"
# lines, vars as Icinga 2 assignments separated by ';'.  The host's address
# is 127.0.0.1, address6 ::1.  The states differ only where ours is the
# documented better one (docs/migrating.md): check_icmp raises an RTA
# warning below what it deems measurable (0.0001 ms became 6.4 ms) and
# stays OK; ours keeps the threshold the service gives.
itl_services() {
	cat <<EOF
smtp|0|0|vars.smtp_port = $SMTP_PORT
smtp_starttls_cert|0|0|vars.smtp_port = $SMTP_PORT; vars.smtp_starttls = true; vars.smtp_certificate_age = "30,7"
smtp_cert_expires_soon|1|1|vars.smtp_port = $SMTP_SOON_PORT; vars.smtp_starttls = true; vars.smtp_certificate_age = "30,3"
smtp_from_command_response|0|0|vars.smtp_port = $SMTP_PORT; vars.smtp_mail_from = "alice@lab.test"; vars.smtp_command = [ "VRFY postmaster" ]; vars.smtp_response = [ "^252" ]; vars.smtp_helo_fqdn = "client.lab.test"
smtp_response_mismatch|1|1|vars.smtp_port = $SMTP_PORT; vars.smtp_command = [ "VRFY nosuchuser" ]; vars.smtp_response = [ "^252" ]
smtp_expect_banner|0|0|vars.smtp_port = $SMTP_PORT; vars.smtp_expect = "ESMTP netcheck"
smtp_time_warning|1|1|vars.smtp_port = $SMTP_PORT; vars.smtp_warning = 0.000001; vars.smtp_critical = 30
smtp_nothing_listens|2|2|vars.smtp_port = 1; vars.smtp_timeout = 5
pop|0|0|vars.pop_port = $POP3_PORT
pop_ssl_cert|0|0|vars.pop_port = $POP3S_PORT; vars.pop_ssl = true; vars.pop_certificate_age = "30,7"
pop_time_warning|1|1|vars.pop_port = $POP3_PORT; vars.pop_warning = 0.000001; vars.pop_critical = 30
pop_nothing_listens|2|2|vars.pop_port = 1; vars.pop_timeout = 5
icmp|0|0|vars.icmp_packets = 3
icmp_rta_warning|0|1|vars.icmp_packets = 3; vars.icmp_wrta = 0.0001; vars.icmp_crta = 100
ping4|0|0|vars.ping_packets = 3
ping4_default_packets|0|0|
ping6|0|0|vars.ping_packets = 3
EOF
}

# itl_config PLUGINDIR: icinga2.conf for ICP_DIR, every service of
# itl_services on the host "lab", results to the Graphite listener.
itl_config() {
	local name vars
	printf 'const PluginDir = %s\n' "$(icp_str "$1")"
	printf 'const NodeName = "lab"\nconst ZoneName = "lab"\nconst TicketSalt = ""\n'
	printf 'include <itl>\ninclude <plugins>\n'
	printf 'object FileLogger "test-log" {\n  path = %s\n  severity = "information"\n}\n' \
		"$(icp_str "$ICP_DIR/log/icinga2.log")"
	printf 'object CheckerComponent "checker" { }\n'
	printf 'object GraphiteWriter "graphite" {\n  host = "127.0.0.1"\n  port = %s\n' "$ICP_PORT"
	printf '  enable_send_metadata = true\n}\n'
	printf 'object Host "lab" {\n  address = "127.0.0.1"\n  address6 = "::1"\n'
	printf '  check_command = "dummy"\n  check_interval = 1s\n  retry_interval = 1s\n}\n'
	while IFS='|' read -r name _ _ vars; do
		printf 'object Service "%s" {\n  host_name = "lab"\n  check_command = "%s"\n' \
			"$name" "${name%%_*}"
		printf '  check_interval = 1s\n  retry_interval = 1s\n  max_check_attempts = 1\n'
		printf '  %s\n}\n' "${vars//; /$'\n  '}"
	done < <(itl_services)
}

# itl_nc_dir DIR: our plugins (plugin_dir_with_caps) under the names of
# monitoring-plugins' too.
itl_nc_dir() {
	plugin_dir_with_caps "$1"
	ln -s check_smtp_dialogue "$1/check_smtp"
	ln -s check_pop3_mailbox "$1/check_pop"
	ln -s check_icmp_rtt "$1/check_icmp"
	ln -s check_icmp_rtt "$1/check_ping"
}

# itl_run mp|nc: one Icinga 2 run of every service, with monitoring-plugins
# or with ours (links in ICP_DIR/plugins); the results in the array named
# by $2 (name -> "state<TAB>command<TAB>output").
itl_run() {
	local -n into=$2
	local name rest dir=$MP_DIR
	local -a names
	icp_setup
	if [ "$1" = nc ]; then
		dir=$ICP_DIR/plugins
		itl_nc_dir "$dir"
	fi
	icp_listener
	itl_config "$dir" >"$ICP_DIR/etc/icinga2.conf"
	chmod 644 "$ICP_DIR/etc/icinga2.conf"
	mapfile -t names < <(itl_services | cut -d'|' -f1)
	icp_run_icinga "${names[@]}"
	while IFS=$'\t' read -r name rest; do
		into[$name]=$rest
	done < <(icp_state_results)
	[ "${#into[@]}" -gt 0 ] || fail "no service results in icinga2's state file ($1)"
	ITL_DIR=$dir
}

test_itl_commands_give_the_same_states_with_our_plugins() {
	need_root  # icinga2 switches to its own user; setcap
	need_lab
	need_cmd icinga2
	need_cmd python3
	need_cmd setcap
	[ "${LAB_IPV6:-}" = yes ] || skip "the lab has no IPv6 (ping6)"
	local p name want_mp want_nc mp_state nc_state nc_cmd nc_out problems=0
	local -A mp nc
	for p in check_smtp check_pop check_icmp check_ping; do
		[ -x "$MP_DIR/$p" ] || skip "needs monitoring-plugins' $p (make test-deps installs it)"
	done
	export SSL_CERT_FILE=$LAB_CA

	itl_run mp mp
	icp_cleanup
	itl_run nc nc

	while IFS='|' read -r name want_mp want_nc _; do
		mp_state=${mp[$name]%%$'\t'*}
		nc_state=${nc[$name]%%$'\t'*}
		nc_cmd=$(cut -f2 <<<"${nc[$name]:-}")
		nc_out=$(cut -f3- <<<"${nc[$name]:-}")
		if [ "$mp_state" != "$want_mp" ] || [ "$nc_state" != "$want_nc" ]; then
			complain "$name: state with monitoring-plugins '${mp_state:-none}', with ours" \
				"'${nc_state:-none}'; should be $want_mp and $want_nc"
			complain "  monitoring-plugins: ${mp[$name]:-no result}"
			complain "  ours: ${nc[$name]:-no result}"
			problems=$((problems + 1))
			continue
		fi
		# The second run ran ours: its command is in our folder, and the
		# perfdata has the labels only ours print.
		if [[ $nc_cmd != "$ITL_DIR/check_"* ]] ||
			! [[ $nc_out =~ (connect|mos)= ]]; then
			complain "$name: the run with the links did not run our plugin:"
			complain "  command: $nc_cmd"
			complain "  output: $nc_out"
			problems=$((problems + 1))
		fi
	done < <(itl_services)
	[ "$problems" = 0 ] || fail "$problems service(s) differ between monitoring-plugins and ours"
}
