# The Debian package (debian/): dpkg-buildpackage -b builds it from a copy
# of the tracked files, lintian finds no error in it, it holds the plugins
# in /usr/lib/nagios/plugins and the man pages, and once installed the ICMP
# plugins have cap_net_raw (postinst) and check_icmp_rtt works as the nagios
# user.  The package is removed again when the test ends.

DEB_NS=ncdeb$$

test_debian_package_builds_installs_and_runs_as_nagios() {
	need_root
	local c d deb user=nagios
	for c in dpkg-buildpackage dh lintian fakeroot git getcap setpriv; do need_cmd "$c"; done
	id nagios >/dev/null 2>&1 || user=nobody
	dpkg -s netcheck >/dev/null 2>&1 && skip "a netcheck package is installed here already"
	d=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "dpkg -P netcheck >/dev/null 2>&1; ip netns del $DEB_NS 2>/dev/null; rm -rf '$d'" EXIT
	mkdir "$d/netcheck"
	git -C "$TOP" ls-files -z | (cd "$TOP" && xargs -0 cp --parents -t "$d/netcheck")
	(cd "$d/netcheck" && dpkg-buildpackage -b -us -uc) >"$d/build.log" 2>&1 ||
		fail "dpkg-buildpackage failed: $(tail -20 "$d/build.log")"
	deb=$(ls "$d"/netcheck_*_*.deb)
	[ -f "$deb" ] || fail "no .deb built"

	run lintian "$deb"
	! grep -E '^E: ' <<<"$out" || fail "lintian errors: $out"

	run dpkg -c "$deb"
	for c in check_icmp_rtt check_hops check_dns_mx check_smtp_dialogue check_pop3_mailbox; do
		expect_out "\./usr/lib/nagios/plugins/$c\$"
		expect_out "\./usr/share/man/man8/$c\.8\.gz\$"
	done
	expect_no_out 'postfix|dovecot|nsd'
	expect_out '\./usr/share/icinga2/include/plugins-contrib\.d/netcheck_smtp_dialogue\.conf$'
	expect_out '\./usr/share/doc/netcheck/examples/check_hops\.cfg$'

	run dpkg -i "$deb"
	expect_rc 0
	getcap /usr/lib/nagios/plugins/check_icmp_rtt | grep -q cap_net_raw=ep ||
		fail "postinst gave check_icmp_rtt no cap_net_raw"
	getcap /usr/lib/nagios/plugins/check_hops | grep -q cap_net_raw=ep ||
		fail "postinst gave check_hops no cap_net_raw"
	# In a namespace of its own: no unprivileged ICMP there, so the
	# capability is what makes it work.
	ip netns add "$DEB_NS"
	ip -n "$DEB_NS" link set lo up
	run ip netns exec "$DEB_NS" setpriv --reuid="$user" --regid="$user" --init-groups \
		/usr/lib/nagios/plugins/check_icmp_rtt -H 127.0.0.1 -n 2 -i 10ms -t 10 -vvv
	expect_rc 0
	expect_status '^ICMP OK - 127\.0\.0\.1: rta '
	expect_out 'IPv4: raw socket'
	expect_out 'CapEff 0000000000000000'
	# Icinga 2 finds the CheckCommands through include <plugins-contrib>.
	if command -v icinga2 >/dev/null 2>&1; then
		printf 'const PluginDir = "/usr/lib/nagios/plugins"\nconst PluginContribDir = "/usr/lib/nagios/plugins"\nconst NodeName = "x"\nconst ZoneName = "x"\nconst TicketSalt = ""\ninclude <itl>\ninclude <plugins>\ninclude <plugins-contrib>\nobject Host "h" { address = "127.0.0.1"; check_command = "netcheck_icmp_rtt" }\n' >"$d/icinga2.conf"
		chmod 755 "$d"
		chmod 644 "$d/icinga2.conf"
		run icinga2 daemon -C -c "$d/icinga2.conf"
		expect_rc 0
	fi
	run dpkg -P netcheck
	expect_rc 0
	[ ! -e /usr/lib/nagios/plugins/check_icmp_rtt ] || fail "dpkg -P left the plugin"
}
