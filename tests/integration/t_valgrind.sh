# Every plugin under valgrind memcheck (issue 14): against the lab, an OK
# run (with TLS where the plugin speaks it) and a failing one each, with
# the exit code it has without valgrind and not one valgrind error, leaks
# included (definite and indirect).  check_icmp_rtt and check_hops run as
# root (valgrind cannot run a program with file capabilities) inside a
# chain of network namespaces of their own (tests/lab/netlab).
#
# Not in the sanitized run (NETCHECK_SANITIZE=1: the runner leaves this
# file out): valgrind cannot run a program built with AddressSanitizer.
#
# Time: valgrind makes a run 20 to 50 times slower; every -t here is 20 s,
# ten times what the slowest run (a TLS handshake and Dovecot's 2 s delay
# after a wrong password) takes under valgrind on a busy machine.

export NETLAB_ID=vg$$
VG_T=20
# --vgdb=no: the ICMP plugins drop to nobody, who may not remove the
# gdbserver FIFOs valgrind made in TMPDIR as root (it says so on stderr).
VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --vgdb=no)

. "$TOP/tests/integration/netlab.sh"

# vg RC CMD...: CMD under valgrind must exit with RC, and valgrind must
# have nothing to say (-q: its only output is an error).
vg() {
	local want=$1; shift
	run "${VALGRIND[@]}" "$@"
	if [ "$rc" != "$want" ] || grep -q '^==[0-9]*==' <<<"$err"; then
		complain "under valgrind: exit code $rc (want $want)${err:+, valgrind said:}"
		show_run
		return 1
	fi
}

# vg_src RC CMD...: the same inside the chain's source namespace.
vg_src() {
	local want=$1; shift
	vg "$want" timeout -k 5 120 ip netns exec "$NET_SRC_NS" "${VALGRIND[@]}" "$@"
}

test_valgrind_smtp_dialogue() {
	need_lab
	need_cmd valgrind
	# STARTTLS, AUTH, MAIL and RCPT, with the transcript.
	vg 0 "$SMTP" -H "$SMTP_HOST" -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U alice \
		--password-file "$LAB_PWFILE_ALICE" -f alice@lab.test --to bob@lab.test -vv -t $VG_T
	expect_status '^SMTP OK - .*STARTTLS TLSv1\.[23], AUTH PLAIN, RCPT 250'
	# Implicit TLS, JSON.
	vg 0 "$SMTP" -H "$SMTP_HOST" -p "$SMTPS_PORT" -s --ca-file "$LAB_CA" --output=json -t $VG_T
	# A wrong password, and a certificate that does not verify.
	vg 2 "$SMTP" -H "$SMTP_HOST" -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U alice \
		--password-file "$LAB_PWFILE_WRONG" -A LOGIN -v -t $VG_T
	expect_status '^SMTP CRITICAL - .*authentication failed'
	vg 2 "$SMTP" -H "$SMTP_HOST" -p "$SMTP_SELFSIGNED_PORT" -S -t $VG_T
	expect_status '^SMTP CRITICAL - .*certificate'
}

test_valgrind_pop3_mailbox() {
	need_lab
	need_cmd valgrind
	vg 0 "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" -U alice \
		--password-file "$LAB_PWFILE_ALICE" -vv -t $VG_T
	expect_status "^POP3 OK - alice@.*: $POP3_ALICE_COUNT messages?"
	vg 0 "$POP" -H "$POP3_HOST" -p "$POP3_PORT" --starttls --ca-file "$LAB_CA" -U bob \
		--password-file "$LAB_PWFILE_BOB" --sasl plain --output=json -t $VG_T
	vg 2 "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" -U alice \
		--password-file "$LAB_PWFILE_WRONG" -t $VG_T
	expect_status '^POP3 CRITICAL - '
}

test_valgrind_dns_mx() {
	need_lab
	need_cmd valgrind
	vg 0 "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$DNS_SERVER:$DNS_PORT" -v -t $VG_T
	expect_status '^DNS MX OK - lab\.test: 2 MX: '
	vg 0 "$MX" -d "$DNS_DOMAIN_NORMAL" -s "$DNS_SERVER:$DNS_PORT" --all-servers --ns-port "$DNS_PORT" \
		--output=json -t $VG_T
	vg 2 "$MX" -d "$DNS_DOMAIN_NXDOMAIN" -s "$DNS_SERVER:$DNS_PORT" -t $VG_T
	expect_status '^DNS MX CRITICAL - .*NXDOMAIN'
}

test_valgrind_icmp_rtt_and_hops() {
	need_root
	need_cmd valgrind
	lab_up --routers 2
	vg_src 0 "$ICMP" -n 3 -i 20ms -t $VG_T -vv "$NET_DST4" "$NET_DST6" 127.0.0.1
	expect_status '^ICMP OK - 3 of 3 hosts OK'
	vg_src 0 "$HOPS" -H "$NET_DST4" -P icmp -t $VG_T -v
	expect_status '^HOPS OK - '
	vg_src 0 "$HOPS" -H "$NET_DST6" -t $VG_T --output=json
	# A destination that drops every probe.
	lab_up --routers 1 --dest-drop
	vg_src 2 "$ICMP" -n 2 -i 20ms -t $VG_T "$NET_DST4"
	expect_status '^ICMP CRITICAL - '
	vg_src 2 "$HOPS" -H "$NET_DST4" -P icmp -t $VG_T
	expect_status '^HOPS CRITICAL - '
}
