# nagios-config/: every Nagios Core object file and Icinga 2 CheckCommand
# is checked by the real daemons' own validators (nagios4 -v, icinga2
# daemon -C), and every command line names a plugin we build.

# The command files (check_*.cfg / .conf); services-example.cfg is apart: it
# names hosts of its own.
configs() { ls "$TOP"/nagios-config/check_*."$1" 2>/dev/null; }

# A private Nagios Core configuration in a new folder: nagios.cfg with
# fast timers, $USER1$ = our checks/, and the objects every service needs
# (a time period, a contact, a host "lab"); prints the folder.  The caller
# adds its objects to DIR/objects.cfg.
nagios_dir() {
	local dir
	dir=$(mktemp -d)
	chown nagios:nagios "$dir"  # nagios checks that its user can write there
	cat >"$dir/nagios.cfg" <<-CFG
		log_file=$dir/nagios.log
		cfg_file=$dir/objects.cfg
		resource_file=$dir/resource.cfg
		status_file=$dir/status.dat
		temp_path=$dir
		check_result_path=$dir
		lock_file=$dir/nagios.lock
		command_file=$dir/nagios.cmd
		state_retention_file=$dir/retention.dat
		nagios_user=nagios
		nagios_group=nagios
		interval_length=1
		status_update_interval=1
		check_result_reaper_frequency=1
		max_service_check_spread=1
		enable_notifications=0
		illegal_macro_output_chars=\`~\$&|'"<>
	CFG
	echo "\$USER1\$=$CHECKS" >"$dir/resource.cfg"
	cat >"$dir/objects.cfg" <<-OBJ
		define timeperiod {
		    timeperiod_name 24x7
		    alias 24x7
		    monday 00:00-24:00
		    tuesday 00:00-24:00
		    wednesday 00:00-24:00
		    thursday 00:00-24:00
		    friday 00:00-24:00
		    saturday 00:00-24:00
		    sunday 00:00-24:00
		}
		define command {
		    command_name nc-noop
		    command_line /bin/true
		}
		define contactgroup {
		    contactgroup_name admins
		    alias admins
		    members admin
		}
		define contact {
		    contact_name admin
		    host_notifications_enabled 0
		    service_notifications_enabled 0
		    host_notification_period 24x7
		    service_notification_period 24x7
		    host_notification_options n
		    service_notification_options n
		    host_notification_commands nc-noop
		    service_notification_commands nc-noop
		}
		define host {
		    host_name lab
		    address 127.0.0.1
		    max_check_attempts 1
		    check_period 24x7
		    contacts admin
		    notification_period 24x7
		}
	OBJ
	echo "$dir"
}

# A service on host "lab" running COMMAND every second.
nagios_service() {
	printf 'define service {\n    host_name lab\n    service_description %s\n' "$1"
	printf '    check_command %s\n    max_check_attempts 1\n    check_interval 1\n' "$2"
	printf '    retry_interval 1\n    check_period 24x7\n    contacts admin\n'
	printf '    notification_period 24x7\n}\n'
}

test_nagios_core_accepts_the_commands() {
	need_root
	need_cmd nagios4
	[ -n "$(configs cfg)" ] || skip "no nagios-config/*.cfg yet"
	local dir f cmd n=0
	dir=$(nagios_dir)
	trap "rm -rf '$dir'" EXIT  # expanded now: $dir is local
	for f in $(configs cfg); do
		cat "$f" >>"$dir/objects.cfg"
		for cmd in $(awk '$1 == "command_name" {print $2}' "$f"); do
			nagios_service "$cmd" "$cmd" >>"$dir/objects.cfg"
			n=$((n + 1))
		done
	done
	[ "$n" -gt 0 ] || fail "no command_name in nagios-config/*.cfg"
	# The example's hosts and services too (validated only: nothing runs).
	cat "$TOP/nagios-config/services-example.cfg" >>"$dir/objects.cfg"
	run nagios4 -v "$dir/nagios.cfg"
	expect_rc 0
	expect_out '^Total Errors: +0$'
	expect_out '^Total Warnings: +0$'
}

test_icinga2_accepts_the_checkcommands() {
	need_root  # icinga2 switches to its own user
	need_cmd icinga2
	[ -n "$(configs conf)" ] || skip "no nagios-config/*.conf yet"
	local dir f
	dir=$(mktemp -d)
	chmod 755 "$dir"
	trap "rm -rf '$dir'" EXIT  # expanded now: $dir is local
	{
		printf 'const PluginDir = "%s"\nconst NodeName = "lab"\nconst ZoneName = "lab"\n' "$CHECKS"
		printf 'const TicketSalt = ""\ninclude <itl>\ninclude <plugins>\n'
		for f in $(configs conf); do cat "$f"; done
	} >"$dir/icinga2.conf"
	chmod 644 "$dir/icinga2.conf"
	run icinga2 daemon -C -c "$dir/icinga2.conf"
	expect_rc 0
	expect_no_out 'critical/config'
}

# Every plugin a config runs exists in checks/ (a typo there would make
# every service UNKNOWN).
test_configs_name_built_plugins() {
	[ -n "$(configs cfg)$(configs conf)" ] || skip "no nagios-config files yet"
	local p names
	names=$(grep -ohE '(\$USER1\$/|PluginDir \+ "/)check_[a-z0-9_]+' \
		"$TOP"/nagios-config/*.cfg "$TOP"/nagios-config/*.conf 2>/dev/null |
		sed -E 's/.*(check_)/\1/' | sort -u)
	[ -n "$names" ] || fail "no \$USER1\$/check_... or PluginDir + \"/check_...\" in nagios-config"
	for p in $names; do
		[ -x "$CHECKS/$p" ] || fail "nagios-config runs $p, which is not built"
	done
}

# Nagios Core itself runs check_smtp_dialogue against the lab Postfix and
# records its state, output and perfdata: what a user sees in the web UI.
test_nagios_core_runs_a_plugin_and_keeps_its_perfdata() {
	need_root
	need_lab
	need_cmd nagios4
	local dir pid i status=
	dir=$(nagios_dir)
	cat >>"$dir/objects.cfg" <<-OBJ
		define command {
		    command_name nc-smtp
		    command_line \$USER1\$/check_smtp_dialogue -H \$HOSTADDRESS\$ -p \$ARG1\$ -S --ca-file \$ARG2\$ -D 30,7
		}
	OBJ
	nagios_service SMTP "nc-smtp!$SMTP_PORT!$LAB_CA" >>"$dir/objects.cfg"
	nagios4 "$dir/nagios.cfg" >"$dir/stdout" 2>&1 &
	pid=$!
	# expanded now: pid and dir are local to this function
	trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$dir'; true" EXIT
	for i in $(seq 1 60); do
		status=$(awk '/^servicestatus \{/ {s=1} s && /plugin_output=|current_state=|performance_data=|has_been_checked=/ {print} /\}/ {s=0}' \
			"$dir/status.dat" 2>/dev/null || true)
		grep -q 'has_been_checked=1' <<<"$status" && break
		sleep 0.5
	done
	grep -q "has_been_checked=1" <<<"$status" || fail "Nagios ran no check in 30 s: $(tail -5 "$dir/nagios.log" 2>/dev/null)"
	grep -qx $'\tcurrent_state=0' <<<"$status" || fail "state is not OK: $status"
	grep -qE $'^\tplugin_output=SMTP OK - \\[127\\.0\\.0\\.1\\]:'"$SMTP_PORT ESMTP, STARTTLS TLSv1" <<<"$status" ||
		fail "unexpected output: $status"
	grep -qE $'^\tperformance_data=connect=[0-9.]+s;;;0 banner=' <<<"$status" ||
		fail "perfdata not kept: $status"
	grep -qE 'cert_days=[0-9.]+;30:;7:$' <<<"$status" || fail "no cert_days with -D's thresholds: $status"
}

# The shipped commands (nagios-config/*.cfg), as a user writes services with
# them: required arguments only, the optional last one left out, or given.
# Nagios runs each against the lab; none may be UNKNOWN from an empty
# argument (check_smtp_dialogue!25 once gave "-w: invalid range '-c'").
test_shipped_commands_run_with_optional_arguments_left_out() {
	need_root
	need_lab
	need_cmd nagios4
	local dir pid i status= f n
	dir=$(nagios_dir)
	for f in $(configs cfg); do cat "$f" >>"$dir/objects.cfg"; done
	{
		nagios_service smtp-bare "check_smtp_dialogue!$SMTP_PORT"
		nagios_service smtp-more "check_smtp_dialogue!$SMTP_PORT!-w 20s -c 30s"
		nagios_service mx-more "check_dns_mx!$DNS_DOMAIN_NORMAL!-s $DNS_SERVER:$DNS_PORT"
	} >>"$dir/objects.cfg"
	nagios4 "$dir/nagios.cfg" >"$dir/stdout" 2>&1 &
	pid=$!
	trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$dir'; true" EXIT
	for i in $(seq 1 60); do
		n=$(grep -c 'has_been_checked=1' "$dir/status.dat" 2>/dev/null || true)
		[ "${n:-0}" -ge 4 ] && break # 3 services and the host
		sleep 0.5
	done
	status=$(awk '/^servicestatus \{/ {s=1} s && /service_description=|plugin_output=|current_state=/ {print} /\}/ {s=0}' \
		"$dir/status.dat" 2>/dev/null || true)
	for svc in smtp-bare smtp-more mx-more; do
		grep -A2 "service_description=$svc\$" <<<"$status" | grep -qx $'\tcurrent_state=0' ||
			fail "$svc is not OK: $(grep -A2 "service_description=$svc\$" <<<"$status")"
	done
	grep -q $'\tplugin_output=SMTP OK - ' <<<"$status" || fail "no SMTP OK: $status"
	grep -q $'\tplugin_output=DNS MX OK - ' <<<"$status" || fail "no DNS MX OK: $status"
}

# nagios-config/services-example.cfg, with the lab's names, ports, CA, user
# and DNS server put in, run by a real Nagios 4 against the lab: MX, SMTP
# STARTTLS with the certificate's days, the open-relay test, the POP3S
# mailbox, the mail round trip (the SMTP probe's subject is what the POP3
# probe finds and deletes), Ping and Path each become OK.  $USER1$ is a
# folder of copies of our plugins, the ICMP ones with cap_net_raw as make
# install gives them.
test_services_example_monitors_the_lab_domain() {
	need_root
	need_lab
	need_cmd nagios4
	local dir pid i f svc status= pw dns="$DNS_SERVER:$DNS_PORT" waiting
	need_cmd setcap
	local -a services=("MX of example.com" "SMTP STARTTLS" "SMTP open relay" "POP3 mailbox"
			   "Mail round trip, send" "Mail round trip, receive" "Ping" "Path")
	dir=$(nagios_dir)
	plugin_dir_with_caps "$dir/plugins"
	echo "\$USER1\$=$dir/plugins" >"$dir/resource.cfg"
	pw=$dir/alice.pw
	install -m 600 -o nagios "$LAB_PWFILE_ALICE" "$pw"
	for f in $(configs cfg); do cat "$f" >>"$dir/objects.cfg"; done
	sed -e "s|check_icmp_rtt!200,40%!500,80%!-n 3|nc-noop|" \
	    -e "s|check_interval          5|check_interval          2|" \
	    -e "s|192\.0\.2\.25|127.0.0.1|" \
	    -e "s|check_dns_mx!example.com!--expect mail.example.com|check_dns_mx!$DNS_DOMAIN_NORMAL!-s $dns --expect mail.lab.test,mx2.lab.test|" \
	    -e "s|check_smtp_dialogue_starttls!25!-D 30,7|check_smtp_dialogue_starttls!$SMTP_PORT!-D 30,7 --ca-file $LAB_CA --dns-server $dns|" \
	    -e "s|check_smtp_dialogue_relay!probe@elsewhere.example!|check_smtp_dialogue_relay!probe@elsewhere.example!-p $SMTP_PORT|" \
	    -e "s|check_pop3_mailbox!monitor!/etc/nagios/pop3-monitor.pw!|check_pop3_mailbox!alice!$pw!-p $POP3S_PORT --ca-file $LAB_CA --dns-server $dns |" \
	    -e "s|check_smtp_dialogue_probe!25!monitor@example.com!monitor@example.com!netcheck-probe!|check_smtp_dialogue_probe!$SMTP_PORT!alice@lab.test!alice@lab.test!netcheck-probe-$$!--ca-file $LAB_CA --dns-server $dns|" \
	    -e "s|check_pop3_mailbox_probe!monitor!/etc/nagios/pop3-monitor.pw!netcheck-probe!|check_pop3_mailbox_probe!alice!$pw!netcheck-probe-$$!-p $POP3S_PORT --ca-file $LAB_CA --dns-server $dns|" \
	    -e "s|mail\.example\.com|$SMTP_NAME|" "$TOP/nagios-config/services-example.cfg" \
		>>"$dir/objects.cfg"
	! grep -v '^[[:space:]]*#' "$dir/objects.cfg" | grep 'example\.com\|192\.0\.2\.' |
		grep -v 'MX of example\.com' ||
		fail "the example still names hosts outside the lab"
	nagios4 "$dir/nagios.cfg" >"$dir/stdout" 2>&1 &
	pid=$!
	# (|| true: the trap runs under set -e, and nagios is stopped below)
	trap "kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf '$dir'" EXIT
	# Every service OK at least once (the receiving probe may run before
	# the first probe arrived, and is OK on a later run).
	for i in $(seq 1 100); do
		waiting=
		for svc in "${services[@]}"; do
			awk -v s="$svc" '/^servicestatus \{/ {m=0} $0 == "\tservice_description=" s {m=1}
				m && /^\tlast_time_ok=[1-9]/ {ok=1} END {exit !ok}' "$dir/status.dat" 2>/dev/null ||
				waiting+="; $svc"
		done
		[ -z "$waiting" ] && break
		sleep 0.5
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	# The probes left in alice's mailbox (one may still be on its way)
	# go, so that the seeded counts stay true for the other tests.
	for i in $(seq 1 40); do
		run "$CHECKS/check_pop3_mailbox" -H 127.0.0.1 -p "$POP3S_PORT" -S --ca-file "$LAB_CA" -U alice \
			--password-file "$LAB_PWFILE_ALICE" --find-subject "netcheck-probe-$$" --delete-found -t 10
		[ "$rc" = 0 ] && continue
		run "$CHECKS/check_pop3_mailbox" -H 127.0.0.1 -p "$POP3S_PORT" -S --ca-file "$LAB_CA" -U alice \
			--password-file "$LAB_PWFILE_ALICE" -t 10
		[ "$(perf_value messages)" = "$POP3_ALICE_COUNT" ] && break
		sleep 0.5
	done
	[ "$(perf_value messages)" = "$POP3_ALICE_COUNT" ] ||
		fail "alice has $(perf_value messages) messages after the test, not $POP3_ALICE_COUNT"
	if [ -n "$waiting" ]; then
		awk '/^servicestatus \{/ {s=1} s && /service_description=|plugin_output=|current_state=/ {print} /\}/ {s=0}' \
			"$dir/status.dat" >&2
		tail -n 20 "$dir/stdout" "$dir/nagios.log" 2>/dev/null >&2
		fail "never OK within 50 s$waiting"
	fi
}
