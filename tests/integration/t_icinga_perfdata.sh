# A real Icinga 2 daemon runs every plugin's OK case against the lab and
# hands the results to its GraphiteWriter, pointed at a small listener here
# (graphite_listener.py).  Icinga 2's metric writers log
#   warning/GraphiteWriter: Ignoring invalid perfdata ... with value: tls=U;;;0
# for every U item of every check result (DESIGN.md: a U must mean that
# something went wrong), so an OK result must have no U, and every label the
# plugin prints must arrive at the writer's backend.
#
# icinga2 keeps everything in one private folder (mktemp -d): the
# Configuration.*Dir constants are set with -D on the command line, so
# nothing under /etc, /var or /run is read or written.  Traffic goes only to
# 127.0.0.1.  The EXIT trap stops icinga2, every plugin it started and the
# listener, and removes the folder.

. "$TOP/tests/integration/icinga.sh"

test_icinga2_graphite_writer_gets_every_label_and_logs_no_invalid_perfdata() {
	need_root  # icinga2 switches to its own user
	need_lab
	need_cmd icinga2
	need_cmd python3
	local user dir pw i svc prefix pre_re label want bad problems=0
	local -a services a
	local -A args want_labels want_perf

	icp_setup
	dir=$ICP_DIR user=$ICP_USER
	# The password as a deployment keeps it: readable by icinga2's user only.
	pw=$dir/alice.pw
	install -m 600 -o "$user" "$LAB_PWFILE_ALICE" "$pw"

	# service name -> "plugin arguments..." (one OK case per plugin; the
	# plain SMTP dialogue asks for no TLS, AUTH or mail stages).
	services=(dns_mx smtp_plain smtp_starttls pop3)
	# (Words joined by \x1f, so that a path may hold a space.)
	icp_args() { local s=$1; shift; args[$s]=$(IFS=$'\x1f'; printf '%s' "$*"); }
	icp_args dns_mx check_dns_mx -d "$DNS_DOMAIN_NORMAL" -s "$DNS_SERVER:$DNS_PORT" -t 10
	icp_args smtp_plain check_smtp_dialogue -H 127.0.0.1 -p "$SMTP_PORT" -t 10
	icp_args smtp_starttls check_smtp_dialogue -H 127.0.0.1 -p "$SMTP_PORT" -S --ca-file "$LAB_CA" \
		-D 30,7 -t 10
	icp_args pop3 check_pop3_mailbox -H 127.0.0.1 -p "$POP3_PORT" -U alice --password-file "$pw" \
		--starttls --ca-file "$LAB_CA" -D 30,7 -t 10

	# Each plugin by hand first: it is OK, and its labels are what Icinga
	# must pass on.
	for svc in "${services[@]}"; do
		IFS=$'\x1f' read -ra a <<<"${args[$svc]}"
		run "$CHECKS/${a[0]}" "${a[@]:1}"
		[ "$rc" = 0 ] || { complain "$svc: ${a[*]} is not OK by hand"; show_run; return 1; }
		want_labels[$svc]=$(perf_labels)
		want_perf[$svc]=$perf
		[ -n "${want_labels[$svc]}" ] || { complain "$svc: no perfdata"; show_run; return 1; }
	done

	icp_listener

	{
		printf 'const PluginDir = %s\n' "$(icp_str "$CHECKS")"
		printf 'const NodeName = "lab"\nconst ZoneName = "lab"\nconst TicketSalt = ""\n'
		printf 'include <itl>\n'
		printf 'object FileLogger "test-log" {\n  path = %s\n  severity = "information"\n}\n' \
			"$(icp_str "$dir/log/icinga2.log")"
		printf 'object CheckerComponent "checker" { }\n'
		printf 'object GraphiteWriter "graphite" {\n  host = "127.0.0.1"\n  port = %s\n' "$ICP_PORT"
		printf '  enable_send_metadata = true\n  enable_send_thresholds = true\n}\n'
		printf 'object Host "lab" {\n  address = "127.0.0.1"\n  check_command = "dummy"\n'
		printf '  check_interval = 1s\n  retry_interval = 1s\n}\n'
		for svc in "${services[@]}"; do
			IFS=$'\x1f' read -ra a <<<"${args[$svc]}"
			printf 'object CheckCommand "nc_%s" {\n  command = [ PluginDir + %s' "$svc" "$(icp_str "/${a[0]}")"
			for i in "${a[@]:1}"; do printf ', %s' "$(icp_str "$i")"; done
			printf ' ]\n}\n'
			printf 'object Service "%s" {\n  host_name = "lab"\n  check_command = "nc_%s"\n' "$svc" "$svc"
			printf '  check_interval = 1s\n  retry_interval = 1s\n  max_check_attempts = 1\n}\n'
		done
	} >"$dir/etc/icinga2.conf"
	chmod 644 "$dir/etc/icinga2.conf"

	icp_run_icinga "${services[@]}"

	# (1) No "Ignoring invalid perfdata" in Icinga's log.
	bad=$(cat "$dir/log/icinga2.log" "$dir/icinga2.out" 2>/dev/null |
		grep 'Ignoring invalid perfdata' | sed 's/^\[[^]]*\] //' | sort | uniq -c || true)
	if [ -n "$bad" ]; then
		complain "icinga2's log has 'Ignoring invalid perfdata' (count, line):"
		sed 's/^/      /' <<<"$bad" >&2
		problems=$((problems + 1))
	fi

	for svc in "${services[@]}"; do
		prefix="icinga2.lab.services.$svc.nc_$svc"
		pre_re=${prefix//./\\.}
		# (2) Every label the plugin printed by hand arrived as a value.
		while IFS= read -r label; do
			want="$prefix.perfdata.$(icp_metric_label "$label").value "
			if ! grep -qF -- "$want" "$dir/graphite.txt"; then
				complain "$svc: label '$label' never reached the listener ($want...)"
				problems=$((problems + 1))
			fi
		done <<<"${want_labels[$svc]}"
		# (3) Icinga saw the plugin's state as OK every time.
		if grep "^$pre_re\.metadata\.state " "$dir/graphite.txt" | grep -qv ' 0 [0-9]*$'; then
			complain "$svc: Icinga recorded a state other than OK:"
			grep "^$pre_re\.metadata\.state " "$dir/graphite.txt" | sed 's/^/      /' >&2
			problems=$((problems + 1))
		fi
	done

	if [ "$problems" -gt 0 ]; then
		complain "what the plugins printed by hand, and what the listener got:"
		for svc in "${services[@]}"; do
			complain "  $svc: ${args[$svc]//$'\x1f'/ }"
			complain "    perfdata by hand: ${want_perf[$svc]}"
			complain "    labels at the listener: $(grep -o "^icinga2\.lab\.services\.$svc\.nc_$svc\.perfdata\.[^ ]*\.value" \
				"$dir/graphite.txt" | sed 's/.*\.perfdata\.//; s/\.value$//' | sort -u | tr '\n' ' ')"
		done
		fail "$problems problem(s) with Icinga 2 and the plugins' perfdata"
	fi
}

# The shipped CheckCommands (nagios-config/check_*.conf) as a user writes services
# with them: only custom variables, the password of POP3 in a custom
# variable (it reaches the plugin through the environment, never its argv).
# A real Icinga 2 runs them against the lab; each result it records is OK.
test_icinga2_runs_the_shipped_checkcommands_with_their_variables() {
	need_root
	need_lab
	need_cmd icinga2
	need_cmd python3
	local dir svc f
	local -a services=(mx smtp smtp_tls pop3)

	icp_setup
	dir=$ICP_DIR
	icp_listener
	{
		printf 'const PluginDir = %s\n' "$(icp_str "$CHECKS")"
		printf 'const NodeName = "lab"\nconst ZoneName = "lab"\nconst TicketSalt = ""\n'
		printf 'include <itl>\ninclude <plugins>\n' # ipv4-or-ipv6 is in <plugins>
		for f in "$TOP"/nagios-config/check_*.conf; do cat "$f"; done
		printf 'object FileLogger "test-log" {\n  path = %s\n  severity = "information"\n}\n' \
			"$(icp_str "$dir/log/icinga2.log")"
		printf 'object CheckerComponent "checker" { }\n'
		printf 'object GraphiteWriter "graphite" {\n  host = "127.0.0.1"\n  port = %s\n' "$ICP_PORT"
		printf '  enable_send_metadata = true\n}\n'
		printf 'object Host "lab" {\n  address = "127.0.0.1"\n  check_command = "dummy"\n'
		printf '  check_interval = 1s\n  retry_interval = 1s\n}\n'
		printf 'template Service "fast" {\n  host_name = "lab"\n  check_interval = 1s\n'
		printf '  retry_interval = 1s\n  max_check_attempts = 1\n}\n'
		printf 'object Service "mx" {\n  import "fast"\n  check_command = "netcheck_dns_mx"\n'
		printf '  vars.netcheck_dns_mx_domain = %s\n' "$(icp_str "$DNS_DOMAIN_NORMAL")"
		printf '  vars.netcheck_dns_mx_servers = [ %s ]\n}\n' "$(icp_str "$DNS_SERVER:$DNS_PORT")"
		printf 'object Service "smtp" {\n  import "fast"\n  check_command = "netcheck_smtp_dialogue"\n'
		printf '  vars.netcheck_smtp_dialogue_address = "127.0.0.1"\n'
		printf '  vars.netcheck_smtp_dialogue_port = %s\n}\n' "$SMTP_PORT"
		printf 'object Service "smtp_tls" {\n  import "fast"\n  check_command = "netcheck_smtp_dialogue"\n'
		printf '  vars.netcheck_smtp_dialogue_address = "127.0.0.1"\n'
		printf '  vars.netcheck_smtp_dialogue_port = %s\n' "$SMTP_PORT"
		printf '  vars.netcheck_smtp_dialogue_starttls = true\n'
		printf '  vars.netcheck_smtp_dialogue_ca_file = %s\n' "$(icp_str "$LAB_CA")"
		printf '  vars.netcheck_smtp_dialogue_certificate = "30,7"\n}\n'
		printf 'object Service "pop3" {\n  import "fast"\n  check_command = "netcheck_pop3_mailbox"\n'
		printf '  vars.netcheck_pop3_mailbox_address = "127.0.0.1"\n'
		printf '  vars.netcheck_pop3_mailbox_port = %s\n' "$POP3_PORT"
		printf '  vars.netcheck_pop3_mailbox_starttls = true\n'
		printf '  vars.netcheck_pop3_mailbox_ca_file = %s\n' "$(icp_str "$LAB_CA")"
		printf '  vars.netcheck_pop3_mailbox_user = "alice"\n'
		printf '  vars.netcheck_pop3_mailbox_password = %s\n}\n' "$(icp_str "$(head -n 1 "$LAB_PWFILE_ALICE")")"
	} >"$dir/etc/icinga2.conf"
	chmod 600 "$dir/etc/icinga2.conf"
	chown "$ICP_USER:" "$dir/etc/icinga2.conf"

	icp_run_icinga "${services[@]}"
	# The command line Icinga ran for POP3 (its state file keeps it): the
	# password is named by the variable it is in, never written out.
	f=$(grep -rla '"netcheck_pop3_mailbox"' "$dir/data" | head -n 1)
	[ -n "$f" ] || fail "no state file with the POP3 result"
	grep -qa '"--password-env","NETCHECK_POP3_PASSWORD"' "$f" ||
		fail "the POP3 command line has no --password-env NETCHECK_POP3_PASSWORD"
	! grep -qaF "$(head -n 1 "$LAB_PWFILE_ALICE")" <(grep -ao '"command":\[[^]]*\]' "$f") ||
		fail "the password is in a command line Icinga ran"
	for svc in "${services[@]}"; do
		if grep "^icinga2\.lab\.services\.$svc\.[a-z_0-9]*\.metadata\.state " "$dir/graphite.txt" |
			grep -qv ' 0 [0-9]*$'; then
			complain "what Icinga kept of $svc (its state file):"
			grep -rhoa "\"output\":\"[^\"]*" "$dir/data" 2>/dev/null | sed 's/^/      /' >&2
			fail "$svc: Icinga recorded a state other than OK"
		fi
	done
}
