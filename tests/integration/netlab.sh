# Shared by the tests that use tests/lab/netlab's chains of network
# namespaces (t_icmp_rtt.sh, t_hops.sh): sourced after lib.sh, with NETLAB
# (the script) and NETLAB_ID (the test file's own chain) set.

# Regex-quoted text.
rq() { sed 's/[][\.*^$(){}+?|/]/\\&/g' <<<"$1"; }

# Commands run when the test ends, however it ends (failure, kill).
_at_exit=()
at_exit() {
	_at_exit+=("$1")
	trap '_run_at_exit' EXIT
	trap 'exit 130' INT TERM HUP
}
_run_at_exit() {
	local c
	for c in "${_at_exit[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
}

# lab_up OPTIONS...: builds a chain of our own (or replaces it: same
# NETLAB_ID), sources its variables, and removes it when the test ends (also
# when it fails).
lab_up() {
	need_root
	local c envf
	for c in ip nft python3 sysctl setpriv; do need_cmd "$c"; done
	at_exit '"$NETLAB" down'
	envf=$(mktemp)
	if ! "$NETLAB" up "$@" >"$envf" 2>"$envf.err"; then
		cat "$envf.err" >&2
		rm -f "$envf" "$envf.err"
		fail "netlab up $* failed"
	fi
	# shellcheck disable=SC1090
	. "$envf"
	rm -f "$envf" "$envf.err"
	# Nothing may be sent unless the chain is really there.
	[ -n "${NET_SRC_NS:-}" ] && ip netns list | grep -q "^$NET_SRC_NS\\b" ||
		fail "source namespace '${NET_SRC_NS:-}' is missing"
	ip netns list | grep -q "^$NET_DST_NS\\b" ||
		fail "destination namespace '$NET_DST_NS' is missing"
}

# in_src CMD...: runs inside the chain's source namespace (bounded).
in_src() { timeout -k 5 60 ip netns exec "$NET_SRC_NS" "$@"; }
