# make install and make install-strip: what lands where (plugins, man
# pages), stripped or not, and the ICMP capability: given as root where the
# kernel does not allow unprivileged ICMP, named as a command otherwise.
# Each install goes into a new temporary folder; the capability cases run
# in a network namespace of their own (ping_group_range is per namespace),
# so that the machine's own setting does not decide the outcome.  The
# installed check_icmp_rtt then runs as the nagios user (or nobody) and
# pings 127.0.0.1 inside that namespace.

INSTALL_NS=ncinst$$

# installed DIR: the five plugins are in DIR/lib/nagios/plugins, executable,
# and the five man pages in DIR/share/man/man8.
expect_installed() {
	local p
	for p in check_icmp_rtt check_hops check_dns_mx check_smtp_dialogue check_pop3_mailbox; do
		[ -x "$1/lib/nagios/plugins/$p" ] || fail "$p not installed in $1"
		[ -f "$1/share/man/man8/$p.8" ] || fail "$p.8 not installed in $1"
	done
}

# has_symbols FILE: the binary still has its symbol table.
has_symbols() { readelf -S "$1" | grep -q ' \.symtab '; }

test_install_and_install_strip_into_destdir() {
	need_cmd readelf
	local d
	d=$(mktemp -d)
	run make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr
	expect_rc 0
	expect_installed "$d/usr"
	has_symbols "$d/usr/lib/nagios/plugins/check_hops" || fail "make install stripped the plugins"
	# Into a DESTDIR (a package being built) no capability is given: it
	# says how instead, and where Nagios and Icinga look.
	expect_out '^ICMP: as root, run: setcap cap_net_raw\+ep FILE for /usr/lib/nagios/plugins/check_icmp_rtt /usr/lib/nagios/plugins/check_hops$'
	expect_out "USER1"
	expect_out "PluginDir"
	rm -rf "$d"
	d=$(mktemp -d)
	run make -s -C "$TOP" install-strip DESTDIR="$d" PREFIX=/usr
	expect_rc 0
	expect_installed "$d/usr"
	for p in "$d"/usr/lib/nagios/plugins/*; do
		! has_symbols "$p" || fail "$p is not stripped by install-strip"
	done
	run "$d/usr/lib/nagios/plugins/check_dns_mx" --version
	expect_rc 3
	expect_status '^check_dns_mx \(netcheck\) '
	rm -rf "$d"
}

test_install_as_root_gives_icmp_plugins_the_capability_only_where_needed() {
	need_root
	need_cmd getcap
	need_cmd setpriv
	local d user=nagios
	id nagios >/dev/null 2>&1 || user=nobody
	ip netns add "$INSTALL_NS" || fail "cannot make a namespace"
	# shellcheck disable=SC2064
	trap "ip netns del $INSTALL_NS 2>/dev/null; rm -rf '${TMPDIR:-/tmp}'/ncinst.$$.*" EXIT
	ip -n "$INSTALL_NS" link set lo up
	d=$(mktemp -d "${TMPDIR:-/tmp}/ncinst.$$.XXXXXX")
	chmod 755 "$d"

	# The kernel's default (no group may use ICMP sockets): capability.
	[ "$(ip netns exec "$INSTALL_NS" cat /proc/sys/net/ipv4/ping_group_range | tr -s '\t ' ' ')" = "1 0" ] ||
		fail "a new namespace does not have the default ping_group_range"
	run ip netns exec "$INSTALL_NS" make -s -C "$TOP" install-strip PREFIX="$d"
	expect_rc 0
	expect_out '^ICMP: gave check_icmp_rtt check_hops cap_net_raw\+ep'
	for p in check_icmp_rtt check_hops; do
		getcap "$d/lib/nagios/plugins/$p" | grep -q 'cap_net_raw=ep' || fail "$p has no cap_net_raw"
	done
	getcap "$d/lib/nagios/plugins/check_dns_mx" | grep -q . && fail "check_dns_mx got a capability"
	# The installed plugin as the monitoring user: raw ICMP through the
	# capability, given up at once.
	run ip netns exec "$INSTALL_NS" setpriv --reuid="$user" --regid="$user" --init-groups \
		"$d/lib/nagios/plugins/check_icmp_rtt" -H 127.0.0.1 -n 2 -i 10ms -t 10 -vvv
	expect_rc 0
	expect_status '^ICMP OK - 127\.0\.0\.1: rta '
	expect_out 'IPv4: raw socket'
	expect_out 'CapEff 0000000000000000'
	rm -rf "$d"

	# Unprivileged ICMP allowed: no capability, and it says so.
	ip netns exec "$INSTALL_NS" sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
	d=$(mktemp -d "${TMPDIR:-/tmp}/ncinst.$$.XXXXXX")
	run ip netns exec "$INSTALL_NS" make -s -C "$TOP" install PREFIX="$d"
	expect_rc 0
	expect_out '^ICMP: unprivileged ICMP is allowed to groups 0 2147483647 here: no capability given\.$'
	getcap "$d/lib/nagios/plugins/check_icmp_rtt" | grep -q . && fail "a capability given all the same"
	chmod 755 "$d"
	run ip netns exec "$INSTALL_NS" setpriv --reuid="$user" --regid="$user" --init-groups \
		"$d/lib/nagios/plugins/check_icmp_rtt" -H 127.0.0.1 -n 2 -i 10ms -t 10 -vv
	expect_rc 0
	expect_out 'IPv4: datagram \(unprivileged\)'
	rm -rf "$d"
	return 0
}
