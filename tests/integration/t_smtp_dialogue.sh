# check_smtp_dialogue (issue 5) against misbehaving fakes (tests/fake/tcpfake)
# and the lab Postfix, Dovecot and NSD (tests/lab/up).  Each test asserts
# what a user notices: the exit code, the status line, the perfdata labels in
# their fixed order and, against a fake, the exact commands the client sent
# (from the fake's log).  Every run has a -t; nothing waits past it.

. "$TOP/tests/fake/lib.sh"

PLUGIN=$CHECKS/check_smtp_dialogue
# The perfdata labels follow from the options of the run alone (DESIGN.md:
# a stage that was not asked for has no label): connect, banner, ehlo; tls
# with -S or -s; auth with -U; mail with -f or --to; rcpt with --to; data
# with --data; quit, time; cert_days with -S or -s.  In this order.
smtp_labels() {
	local a tls='' auth='' mail='' rcpt='' data=''
	for a in "${RUN_ARGS[@]}"; do
		case $a in
		-S|-s|--starttls|--tls) tls=1 ;;
		-U|--authuser) auth=1 ;;
		-f|--from) mail=1 ;;
		--to) mail=1 rcpt=1 ;;
		--data) data=1 ;;
		esac
	done
	printf '%s\n' connect banner ehlo ${tls:+tls} ${auth:+auth} ${mail:+mail} ${rcpt:+rcpt} \
		${data:+data} quit time ${tls:+cert_days}
}
# shellcheck disable=SC2046 # one label a word
expect_smtp_labels() { expect_perf_labels $(smtp_labels); }

# ------------------------------------------------------------------ helpers

# smtp_fake [TCPFAKE-ARGS...] <SCENARIO: starts tcpfake with the scenario on
# stdin (\r\n etc. are tcpfake escapes) and waits until it listens.
smtp_fake() {
	fake_init
	local sc=$FAKE_TMP/scenario.${#FAKE_PIDS[@]}
	cat >"$sc"
	fake_start tcpfake --scenario "$sc" "$@"
}

# dlg ARGS...: the plugin against the last fake, with a fixed EHLO name.
dlg() { run "$PLUGIN" -H 127.0.0.1 -p "$FAKE_PORT" -F client.test "$@"; }

# expect_summary RE: the status line without its perfdata matches RE (so
# that "banner" or "tls" cannot match a perfdata label).
expect_summary() {
	local summary=${status_line%%|*}
	[[ $summary =~ $1 ]] && return 0
	complain "status line (before the perfdata) does not match /$1/"; show_run; return 1
}

# The lines the client sent, as the fake logged them (waits for the fake to
# finish its connection first, so the log is complete).
sent() { sed -n 's/^C: //p' "$FAKE_LOG"; }

# expect_sent LINE...: the client sent exactly these lines, in this order.
expect_sent() {
	fake_wait "$FAKE_PID" 10
	local want got
	want=$(printf '%s\n' "$@")
	got=$(sent)
	[ "$want" = "$got" ] && return 0
	complain "the client sent [${got//$'\n'/ | }], want [${want//$'\n'/ | }]"
	sed 's/^/      fake log: /' "$FAKE_LOG" >&2
	show_run
	return 1
}

# The greeting and a plain EHLO reply, for scenarios.
BANNER='send 220 fake.test ESMTP fake\r\n'

# lab ARGS...: the plugin against the lab Postfix (address, not a name).
lab() { run "$PLUGIN" -H "$SMTP_HOST" -F client.lab.test -t "$LAB_TIMEOUT_S" "$@"; }

# smtp_py: python3 on stdin with the lab helpers of t_lab_mail.sh.
smtp_py() {
	need_cmd python3
	python3 -c '
import os, sys, ssl, poplib, time
E = os.environ
def ctx():
    return ssl.create_default_context(cafile=E["LAB_CA"])
def die(msg):
    print("    " + msg, file=sys.stderr)
    sys.exit(1)
def pw(user):
    with open(E["LAB_PWFILE_" + user.upper()]) as f:
        return f.read()
def pop3(user):
    p = poplib.POP3(E["POP3_HOST"], int(E["POP3_PORT"]), timeout=10)
    p.stls(ctx())
    p.user(user); p.pass_(pw(user))
    return p
exec(sys.stdin.read())
' "$@"
}

# -------------------------------------------- bad input and faults (fakes)

test_fake_banner_never_comes_times_out() {
	smtp_fake <<EOF
sleep $HANG_S
EOF
	timed "$PLUGIN" -H 127.0.0.1 -p "$FAKE_PORT" -F client.test -t 2
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*tim(ed|e) ?out'
	expect_smtp_labels
	expect_elapsed_below $((2000 + SLACK_MS))
	[ -z "$(sent)" ] || fail "the client sent [$(sent)] before any banner"
}

test_fake_banner_timeout_state_is_configurable() {
	smtp_fake <<EOF
sleep $HANG_S
EOF
	timed "$PLUGIN" -H 127.0.0.1 -p "$FAKE_PORT" -t 1:warning
	expect_rc 1
	expect_summary '^SMTP WARNING - .*tim(ed|e) ?out'
	expect_elapsed_below $((1000 + SLACK_MS))
}

# A byte a second, each inside -t 2 (a wait that started over at every read
# would never time out), for longer than the fake lives (30 s).
test_fake_banner_drips_one_byte_a_second() {
	smtp_fake <<'EOF'
drip 1 220 fake.test ESMTP dripping slowly\r\n
expect ^QUIT
send 221 bye\r\n
EOF
	timed "$PLUGIN" -H 127.0.0.1 -p "$FAKE_PORT" -F client.test -t 2
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*tim(ed|e) ?out'
	expect_smtp_labels
	expect_elapsed_below $((2000 + SLACK_MS))
}

test_fake_garbage_instead_of_a_reply() {
	smtp_fake <<'EOF'
send HELLO THERE this is not SMTP\r\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*not an SMTP reply.*HELLO THERE'
	expect_smtp_labels
	expect_sent
}

test_fake_code_not_three_digits() {
	smtp_fake <<'EOF'
send 22 fake.test two digits\r\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*not an SMTP reply.*22 fake\.test'
	expect_sent
	smtp_fake <<'EOF'
send 2200 fake.test four digits\r\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*not an SMTP reply.*2200 fake\.test'
	expect_sent
	# A first digit outside 2-5 is no reply either.
	smtp_fake <<'EOF'
send 720 fake.test ESMTP\r\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*not an SMTP reply'
	expect_sent
}

test_fake_multiline_reply_lines_disagree() {
	smtp_fake <<'EOF'
send 220 fake.test ESMTP fake\r\n
expect ^EHLO
send 250-fake.test\r\n251-PIPELINING\r\n250 8BITMIME\r\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*multi-line reply disagree.*250.*251'
	expect_out '^\[CRITICAL\] EHLO: '
	expect_smtp_labels
	expect_sent 'EHLO client.test'
}

test_fake_line_over_the_bound() {
	local long
	long=$(printf 'x%.0s' {1..1100})
	smtp_fake <<EOF
send 220 $long\\r\\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*longer than 1000 bytes'
	expect_smtp_labels
	expect_sent
	# The bound holds inside a multi-line EHLO reply too.
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250-$long\\r\\n250 8BITMIME\\r\\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*longer than 1000 bytes'
	expect_sent 'EHLO client.test'
}

test_fake_close_after_ehlo() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*connection closed'
	expect_out '^\[CRITICAL\] EHLO: connection closed'
	expect_smtp_labels
	expect_sent 'EHLO client.test'
}

test_fake_421_in_the_middle() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 8BITMIME\\r\\n
expect ^MAIL FROM:<probe@client\\.test>\$
send 421 4.3.2 fake.test shutting down\\r\\n
wait-close
EOF
	dlg -t 5 -f probe@client.test --to someone@fake.test
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*421 4\.3\.2 fake\.test shutting down'
	expect_smtp_labels
	# 421: the server is closing; no RCPT, no QUIT after it.
	expect_sent 'EHLO client.test' 'MAIL FROM:<probe@client.test>'
}

test_fake_banner_421_and_554_critical_with_the_servers_text() {
	smtp_fake <<'EOF'
send 421 4.3.2 fake.test too busy, try later\r\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*421 4\.3\.2 fake\.test too busy, try later'
	expect_sent
	# RFC 5321 3.1: a server greeting with 554 waits for the client's QUIT.
	smtp_fake <<'EOF'
send 554 5.7.1 fake.test no service for you\r\n
expect ^QUIT$
send 221 2.0.0 bye\r\n
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*554 5\.7\.1 fake\.test no service for you'
	expect_sent 'QUIT'
}

test_fake_ehlo_refused_falls_back_to_helo() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 502 5.5.2 EHLO not understood\\r\\n
expect ^HELO client\\.test\$
send 250 fake.test\\r\\n
expect ^QUIT
send 221 bye\\r\\n
EOF
	dlg -t 5
	expect_rc 0
	expect_summary '^SMTP OK - \[127\.0\.0\.1\]:[0-9]+ SMTP, '
	expect_out 'EHLO refused \(502\), HELO used'
	expect_sent 'EHLO client.test' 'HELO client.test' 'QUIT'
}

test_fake_starttls_offered_but_handshake_fails() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250-STARTTLS\\r\\n250 8BITMIME\\r\\n
expect ^STARTTLS\$
send 220 2.0.0 go ahead\\r\\n
# Later than the go-ahead, so that it is the answer to the ClientHello
# (sent at once it would be response injection).
sleep 0.5
send this is not a TLS record\\r\\n
wait-close
EOF
	# Known when the late answer comes (0.5 s), not at -t (10x that).
	timed "$PLUGIN" -H 127.0.0.1 -p "$FAKE_PORT" -F client.test -t 5 -S --insecure
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*TLS handshake failed'
	expect_smtp_labels
	expect_out "cert_days=U"
	expect_elapsed_below $((5000 - SLACK_MS))
	fake_wait "$FAKE_PID" 10
	# After STARTTLS only the ClientHello bytes: no command in plaintext.
	[ "$(sent | head -n 2)" = $'EHLO client.test\nSTARTTLS' ] || fail "sent: $(sent | head -n 2)"
	! sent | tail -n +3 | grep -Eq '^(EHLO|HELO|AUTH|MAIL|RCPT|QUIT)' ||
		fail "plaintext commands after the failed handshake: $(sent | tail -n +3)"
}

test_fake_starttls_response_injection_is_critical() {
	fake_init
	fake_cert "$FAKE_TMP"
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250-STARTTLS\\r\\n250 8BITMIME\\r\\n
expect ^STARTTLS\$
send-inject 220 2.0.0 go ahead\\r\\n250-injected\\r\\n250 AUTH PLAIN\\r\\n
starttls cert.pem key.pem
expect ^EHLO client\\.test\$
send 250-fake.test\\r\\n250 8BITMIME\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	dlg -t 5 -S --ca-file "$FAKE_TMP/cert.pem"
	expect_rc 2
	# What the user sees in the notification: why it is CRITICAL.
	expect_summary '^SMTP CRITICAL - .*injection'
	expect_out '^\[CRITICAL\] response injection: the server sent [0-9]+ bytes of plaintext after its STARTTLS go-ahead'
	expect_smtp_labels
	# The injected "250" was discarded: one EHLO after TLS, nothing else.
	expect_sent 'EHLO client.test' 'STARTTLS' 'EHLO client.test' 'QUIT'
}

test_fake_auth_rejected() {
	fake_init
	printf 'fake-secret-123\n' >"$FAKE_TMP/pw"
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 AUTH PLAIN LOGIN\\r\\n
expect ^AUTH PLAIN
send 535 5.7.8 Error: authentication failed\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	dlg -t 5 -U alice --password-file "$FAKE_TMP/pw" --allow-plaintext-auth -v
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*authentication failed'
	expect_smtp_labels
	expect_out '^C: AUTH PLAIN \*+$'
	expect_no_out 'fake-secret-123'
	# AUTH PLAIN \0alice\0fake-secret-123, then QUIT (RFC 5321 4.1.1.10).
	expect_sent 'EHLO client.test' "AUTH PLAIN $(printf '\0alice\0fake-secret-123' | base64 -w0)" 'QUIT'
}

test_fake_quit_without_221() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 8BITMIME\\r\\n
expect ^QUIT\$
close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*closed'
	expect_out '^\[CRITICAL\] QUIT: '
	expect_sent 'EHLO client.test' 'QUIT'
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 8BITMIME\\r\\n
expect ^QUIT\$
close
EOF
	dlg -t 5 -q
	expect_rc 0
	expect_summary '^SMTP OK - \[127\.0\.0\.1\]:[0-9]+ ESMTP, '
	expect_smtp_labels
	expect_sent 'EHLO client.test' 'QUIT'
}

# The MAIL/RCPT/RSET lines the relay test sends, in order, for a server
# named fake.test and a client named client.test.
relay_commands() {
	local v
	for v in '<probe@elsewhere.example>' '<probe%elsewhere.example@fake.test>' \
		 '<"probe@elsewhere.example">' '<@fake.test:probe@elsewhere.example>' \
		 '<elsewhere.example!probe@fake.test>'; do
		printf '%s\n' 'MAIL FROM:<relaytest@client.test>' "RCPT TO:$v" RSET
	done
	printf '%s\n' 'MAIL FROM:<>' 'RCPT TO:<probe@elsewhere.example>' RSET
}

# relay_fake CODE TEXT: a server that answers every relay RCPT with CODE.
relay_fake() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250-PIPELINING\\r\\n250 8BITMIME\\r\\n
repeat 6
expect ^MAIL FROM:
send 250 2.1.0 Ok\\r\\n
expect ^RCPT TO:
send $1 $2\\r\\n
expect ^RSET\$
send 250 2.0.0 Ok\\r\\n
end
expect ^QUIT\$
send 221 bye\\r\\n
EOF
}

test_fake_open_relay_is_critical_and_never_sends_data() {
	relay_fake 250 '2.1.5 Ok'
	dlg -t 5 --relay-test probe@elsewhere.example
	expect_rc 2
	expect_summary '^SMTP CRITICAL - \[127\.0\.0\.1\]:[0-9]+: OPEN RELAY \(6 of 6 variants accepted\); '
	expect_out '^\[CRITICAL\] OPEN RELAY \(6 of 6 variants accepted\)$'
	expect_smtp_labels
	local want
	mapfile -t want < <(printf 'EHLO client.test\n'; relay_commands; printf 'QUIT\n')
	expect_sent "${want[@]}"
	! sent | grep -Eiq '^(DATA|BDAT)' || fail "the relay test sent DATA"
}

test_fake_relay_temporary_failures_only_is_warning() {
	relay_fake 450 '4.7.1 try again later'
	dlg -t 5 --relay-test probe@elsewhere.example
	expect_rc 1
	expect_summary '^SMTP WARNING - .*relay'
	expect_out '6 of 6 variants got a temporary failure'
	expect_smtp_labels
	local want
	mapfile -t want < <(printf 'EHLO client.test\n'; relay_commands; printf 'QUIT\n')
	expect_sent "${want[@]}"
}

test_fake_relay_state_follows_the_codes_not_the_text() {
	# A refusal whose text holds ": 2" is still a refusal.
	relay_fake 554 '5.7.1 Relaying denied: 2 strikes and you are out'
	dlg -t 5 --relay-test probe@elsewhere.example
	expect_rc 0
	expect_summary '^SMTP OK - .*relay denied'
	expect_out 'relay denied \(6 of 6 variants refused\)'
	expect_no_out '^\[CRITICAL\]'
}

test_fake_data_message_is_dot_stuffed_and_queued() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 8BITMIME\\r\\n
expect ^MAIL FROM:<a@client\\.test>\$
send 250 2.1.0 Ok\\r\\n
expect ^RCPT TO:<b@fake\\.test>\$
send 250 2.1.5 Ok\\r\\n
expect ^DATA\$
send 354 End data with <CR><LF>.<CR><LF>\\r\\n
expect ^Date: [A-Z][a-z]{2}, [ 0-9]?[0-9] [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}\$
expect ^From: <a@client\\.test>\$
expect ^To: <b@fake\\.test>\$
expect ^Message-ID: <tok123@client\\.test>\$
expect ^Subject: netcheck test tok123\$
expect ^\$
expect-any
expect ^\\.\\.
expect ^Token: tok123\$
expect ^\\.\$
send 250 2.0.0 Ok: queued as 4ABC123DEF\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	dlg -t 5 -f a@client.test --to b@fake.test --data --token tok123
	expect_rc 0
	expect_summary '^SMTP OK - .*RCPT 250, queued as 4ABC123DEF, token tok123, '
	expect_out '^\[OK\] DATA: 250 queued as 4ABC123DEF, Subject token tok123'
	expect_smtp_labels
	expect_out 'data=[0-9.]+s'
	fake_wait "$FAKE_PID" 10
	[ "$FAKE_RC" = 0 ] || { complain "the message was not as expected:"; sed 's/^/      /' "$FAKE_LOG" >&2; return 1; }
	# Every line ends in CRLF, none is a bare LF; no RSET after DATA.
	! sent | grep -q '\\n$' || fail "a bare LF line was sent"
	! sent | grep -qx 'RSET' || fail "RSET after a delivered message"
}

test_fake_reply_over_100_lines() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
repeat 150
send 250-X\${i}\\r\\n
end
send 250 OK\\r\\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*more than 100 lines'
	expect_sent 'EHLO client.test'
}

test_fake_control_bytes_and_pipes_in_replies_are_escaped() {
	smtp_fake <<'EOF'
send 220 fake\x1b[31mred | pipe\r\n
wait-close
EOF
	dlg -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*not an SMTP reply'
	! grep -q $'\x1b' <<<"$out" || fail "an escape byte reached the output"
	[ "$(tr -cd '|' <<<"$status_line" | wc -c)" = 1 ] || fail "a '|' from the server is in the status line"
}

test_fake_mx_first_host_down_uses_the_next() {
	# MX 10 is 127.0.0.9, where nothing listens; MX 20 is the fake.
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 8BITMIME\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	local smtp_port=$FAKE_PORT
	fake_start dnsfake --mx '10 a.fake.test=127.0.0.9,20 b.fake.test=127.0.0.1'
	timed "$PLUGIN" --mx fake.test --dns-server "127.0.0.1:$FAKE_PORT" -p "$smtp_port" \
		-F client.test -4 -t 5
	expect_rc 0
	expect_summary "^SMTP OK - fake\.test: b\.fake\.test \[127\.0\.0\.1\]:$smtp_port ESMTP, "
	expect_out 'MX 10 a\.fake\.test: .*refused.*trying the next'
	expect_smtp_labels
	expect_elapsed_below 3000
}

test_fake_timeouts_in_tls_and_dns_keep_to_t() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 STARTTLS\\r\\n
expect ^STARTTLS\$
send 220 2.0.0 go ahead\\r\\n
sleep $HANG_S
EOF
	timed "$PLUGIN" -H 127.0.0.1 -p "$FAKE_PORT" -F client.test -S --insecure -t 2
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*tim(ed|e) ?out.*TLS|TLS.*tim(ed|e) ?out'
	expect_smtp_labels
	expect_elapsed_below $((2000 + SLACK_MS))
	fake_start dnsfake --mode silence
	timed "$PLUGIN" --mx fake.test --dns-server "127.0.0.1:$FAKE_PORT" -t 2
	expect_rc 2
	expect_summary '^SMTP CRITICAL - fake\.test: .*tim(ed|e) ?out'
	expect_smtp_labels
	expect_elapsed_below $((2000 + SLACK_MS))
}

# The command line is read 0.5 s after the start: 10x what the plugin needs
# to blank it, and the plugin (waiting for a banner that never comes, -t 10)
# is still running 10x later.
test_fake_authpass_is_blanked_in_the_process_list() {
	smtp_fake <<EOF
sleep $HANG_S
EOF
	local pid cmdline
	"$PLUGIN" -H 127.0.0.1 -p "$FAKE_PORT" -S -U alice -P TopSecret99 -t 10 >/dev/null &
	pid=$!
	sleep 0.5
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	kill "$pid" 2>/dev/null || true
	wait "$pid" || true
	[[ $cmdline == *" -U alice -P "* ]] || fail "unexpected command line: $cmdline"
	[[ $cmdline != *TopSecret99* ]] || fail "-P's password is visible in ps: $cmdline"
}

test_fake_multiline_banner_is_fine() {
	smtp_fake <<EOF
send 220-fake.test ESMTP first line\\r\\n220-second line\\r\\n220 third line\\r\\n
expect ^EHLO client\\.test\$
send 250-fake.test\\r\\n250 SIZE 52428800\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	dlg -t 5 -e '^fake\.test ESMTP' --min-size 50MB
	expect_rc 0
	expect_summary '^SMTP OK - \[127\.0\.0\.1\]:[0-9]+ ESMTP, [0-9]+ ms $'
	expect_out '^\[OK\] banner: 220 fake\.test ESMTP first line'
	expect_sent 'EHLO client.test' 'QUIT'
}

test_fake_starttls_refused_is_critical_and_quits() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 STARTTLS\\r\\n
expect ^STARTTLS\$
send 454 4.7.0 TLS not available due to local problem\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	dlg -t 5 -S --insecure
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*454 4\.7\.0 TLS not available'
	expect_smtp_labels
	expect_sent 'EHLO client.test' 'STARTTLS' 'QUIT'
}

test_fake_malformed_size_is_not_unlimited() {
	# "SIZE 10x" is no size at all: --min-size must not pass it as "no
	# fixed limit" (which is what a bare SIZE or SIZE 0 means).
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 SIZE 10x\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	dlg -t 5 --min-size 1MB
	[ "$rc" = 1 ] || [ "$rc" = 2 ] || { complain "exit $rc: a malformed SIZE passed --min-size"; show_run; return 1; }
	expect_out 'SIZE'
	# A bare SIZE: no fixed limit, fine.
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 SIZE\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	dlg -t 5 --min-size 1MB
	expect_rc 0
}

test_fake_starttls_required_but_not_offered() {
	smtp_fake <<EOF
$BANNER
expect ^EHLO
send 250-fake.test\\r\\n250 AUTH PLAIN LOGIN\\r\\n
expect ^QUIT\$
send 221 bye\\r\\n
EOF
	fake_init
	printf 'fake-secret-456\n' >"$FAKE_TMP/pw"
	dlg -t 5 -S --insecure -U alice --password-file "$FAKE_TMP/pw"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*STARTTLS'
	expect_smtp_labels
	# Never the credentials in plaintext.
	expect_sent 'EHLO client.test' 'QUIT'
}

# ------------------------------------------------------------ the lab Postfix

test_lab_plain_smtp() {
	need_lab
	lab -p "$SMTP_NOTLS_PORT"
	expect_rc 0
	expect_summary "^SMTP OK - \[$SMTP_HOST\]:$SMTP_NOTLS_PORT ESMTP, [0-9]+ ms $"
	expect_smtp_labels
	expect_out '^\[OK\] banner: 220 mail\.lab\.test ESMTP'
	expect_out '^\[OK\] QUIT: 221'
	# Stages not asked for have no label (Icinga 2 warns about every U),
	# and nothing that was asked for is U on an OK run.
	[[ $perf != *"tls="* && $perf != *"auth="* && $perf != *"data="* ]] ||
		fail "stages not asked for have labels: $perf"
	[[ $perf != *"=U"* ]] || fail "a U on an OK run: $perf"
}

test_lab_ipv6_and_family_options() {
	need_lab
	[ "${LAB_IPV6:-}" = yes ] || skip "the lab has no IPv6"
	run "$PLUGIN" -H "$SMTP_HOST6" -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -t "$LAB_TIMEOUT_S"
	expect_rc 0
	expect_summary "^SMTP OK - \[::1\]:$SMTP_PORT ESMTP, STARTTLS TLSv1\.[23], "
	# mail.lab.test has A and AAAA: -4 and -6 choose.
	run "$PLUGIN" -H "$SMTP_NAME" --dns-server "$DNS_SERVER:$DNS_PORT" -p "$SMTP_PORT" -4 -t "$LAB_TIMEOUT_S"
	expect_rc 0
	expect_summary "^SMTP OK - mail\.lab\.test \[127\.0\.0\.1\]:$SMTP_PORT "
	run "$PLUGIN" -H "$SMTP_NAME" --dns-server "$DNS_SERVER:$DNS_PORT" -p "$SMTP_PORT" -6 -t "$LAB_TIMEOUT_S"
	expect_rc 0
	expect_summary "^SMTP OK - mail\.lab\.test \[::1\]:$SMTP_PORT "
}

test_lab_starttls_verified() {
	need_lab
	run "$PLUGIN" -H "$SMTP_NAME" --dns-server "$DNS_SERVER:$DNS_PORT" -p "$SMTP_PORT" \
		-S --ca-file "$LAB_CA" -t "$LAB_TIMEOUT_S" -vv
	expect_rc 0
	expect_summary "^SMTP OK - mail\.lab\.test \[[^]]+\]:$SMTP_PORT ESMTP, STARTTLS TLSv1\.[23], [0-9]+ ms $"
	expect_smtp_labels
	expect_out 'cert_days=36[0-9]'
	expect_out '(^| )C: STARTTLS$'
	expect_out '(^| )S: 220 2\.0\.0 Ready to start TLS'
	expect_out '(^| )S: 250-AUTH PLAIN LOGIN'
	expect_out 'certificate: subject CN=mail\.lab\.test'
}

test_lab_implicit_tls() {
	need_lab
	lab -p "$SMTPS_PORT" -s --ca-file "$LAB_CA"
	expect_rc 0
	expect_summary "^SMTP OK - \[$SMTP_HOST\]:$SMTPS_PORT ESMTP, TLS TLSv1\.[23], [0-9]+ ms $"
	expect_smtp_labels
	# Implicit TLS without a CA to verify against: the system store fails it.
	lab -p "$SMTPS_PORT" -s
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*certificate verification failed'
}

test_lab_bad_certificates() {
	need_lab
	lab -p "$SMTP_EXPIRED_PORT" -S --ca-file "$LAB_CA"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*certificate has expired'
	expect_smtp_labels
	expect_out 'cert_days=-[0-9]'
	lab -p "$SMTP_SELFSIGNED_PORT" -S --ca-file "$LAB_CA"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*self-signed certificate'
	expect_smtp_labels
	run "$PLUGIN" -H "$SMTP_NAME" --dns-server "$DNS_SERVER:$DNS_PORT" -p "$SMTP_WRONGHOST_PORT" \
		-S --ca-file "$LAB_CA" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*(host ?name|IP address) mismatch.*wrong\.example'
	expect_smtp_labels
	lab -p "$SMTP_NOTYET_PORT" -S --ca-file "$LAB_CA"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*not yet valid'
	# --insecure goes on, and says what it overlooked.
	lab -p "$SMTP_SELFSIGNED_PORT" -S --insecure
	expect_rc 0
	expect_out 'certificate not verified \(--insecure\): .*self-signed'
}

test_lab_certificate_days_thresholds() {
	need_lab
	lab -p "$SMTP_SOON_PORT" -S --ca-file "$LAB_CA" -D 30,7
	expect_rc 2
	expect_smtp_labels
	expect_out "cert_days=[45]\."
	expect_out '^\[CRITICAL\] certificate CN=mail\.lab\.test expires .*\([45]\.[0-9] days, critical under 7 days\)$'
	# The notification shows only the status line: it must say why, and
	# the limit broken; cert_days carries -D as its warn and crit.
	expect_summary '^SMTP CRITICAL - .*certificate CN=mail\.lab\.test expires .*\([45]\.[0-9] days, critical under 7 days\); ESMTP'
	expect_out 'cert_days=[45]\.[0-9]+;30:;7:$'
	lab -p "$SMTP_SOON_PORT" -S --ca-file "$LAB_CA" -D 10,3
	expect_rc 1
	expect_summary '^SMTP WARNING - .*certificate.*expires .*, warning under 10 days\)'
	expect_out 'cert_days=[45]\.[0-9]+;10:;3:$'
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -D 30,7
	expect_rc 0
}

test_lab_auth_good_plain_and_login() {
	need_lab
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U alice --password-file "$LAB_PWFILE_ALICE" \
		-A PLAIN -f alice@lab.test --to bob@lab.test
	expect_rc 0
	expect_summary "^SMTP OK - \[$SMTP_HOST\]:$SMTP_PORT ESMTP, STARTTLS TLSv1\.[23], AUTH PLAIN, RCPT 250, [0-9]+ ms $"
	expect_smtp_labels
	expect_out "auth=[0-9.]+s"
	expect_out '^\[OK\] AUTH PLAIN: 235'
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U bob --password-file "$LAB_PWFILE_BOB" -A LOGIN
	expect_rc 0
	expect_summary '^SMTP OK - .*AUTH LOGIN'
	# Without -A: the best the server offers (PLAIN, then LOGIN).
	lab -p "$SMTPS_PORT" -s --ca-file "$LAB_CA" -U alice --password-env LAB_TEST_PW
	expect_rc 3
	LAB_TEST_PW=$(cat "$LAB_PWFILE_ALICE") \
		run "$PLUGIN" -H "$SMTP_HOST" -p "$SMTPS_PORT" -s --ca-file "$LAB_CA" -t "$LAB_TIMEOUT_S" \
		-U alice --password-env LAB_TEST_PW
	expect_rc 0
	expect_summary '^SMTP OK - .*TLS TLSv1\.[23], AUTH (PLAIN|LOGIN)'
}

test_lab_auth_bad_plain_and_login() {
	need_lab
	local mech
	for mech in PLAIN LOGIN; do
		lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U alice --password-file "$LAB_PWFILE_WRONG" \
			-A "$mech" -f alice@lab.test --to bob@lab.test
		expect_rc 2
		expect_summary '^SMTP CRITICAL - .*authentication failed.*535'
		expect_smtp_labels
		expect_out "mail=U;"
	done
}

test_lab_plaintext_auth_refused_without_allow_plaintext_auth() {
	need_lab
	lab -p "$SMTP_PORT" -U alice --password-file "$LAB_PWFILE_ALICE"
	expect_rc 3
	expect_summary '^SMTP UNKNOWN - refusing to send credentials over an unencrypted connection'
	# -S to a server without STARTTLS: CRITICAL, and no AUTH in plaintext.
	lab -p "$SMTP_NOTLS_PORT" -S --ca-file "$LAB_CA" -U alice --password-file "$LAB_PWFILE_ALICE" -v
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*STARTTLS'
	expect_no_out '^C: AUTH'
	# Allowed, but the lab offers AUTH only after STARTTLS: no AUTH sent.
	lab -p "$SMTP_PORT" -U alice --password-file "$LAB_PWFILE_ALICE" --allow-plaintext-auth -v
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*AUTH'
	expect_no_out '^C: AUTH'
}

test_lab_credentials_never_in_any_output() {
	need_lab
	local pw plain login f all
	pw=$(cat "$LAB_PWFILE_ALICE")
	[ -n "$pw" ] || fail "empty lab password"
	plain=$(printf '\0alice\0%s' "$pw" | base64 -w0)
	login=$(printf '%s' "$pw" | base64 -w0)
	for f in classic json; do
		for mech in PLAIN LOGIN; do
			lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U alice --password-file "$LAB_PWFILE_ALICE" \
				-A "$mech" -f alice@lab.test --to bob@lab.test -vvv --output="$f"
			expect_rc 0
			all="$out"$'\n'"$err"
			if grep -qF -e "$pw" -e "$plain" -e "$login" <<<"$all"; then
				complain "the password (or its base64) is in the -vvv $f output of AUTH $mech"
				show_run
				return 1
			fi
		done
	done
	# -P too: it is accepted for compatibility, and never printed.
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U alice -P "$pw" -vvv
	expect_rc 0
	! grep -qF -e "$pw" -e "$plain" -e "$login" <<<"$out"$'\n'"$err" || fail "-P's password printed"
	# And a failed AUTH does not print it either.
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -U alice --password-file "$LAB_PWFILE_WRONG" -vvv
	expect_rc 2
	! grep -qF "$(cat "$LAB_PWFILE_WRONG")" <<<"$out"$'\n'"$err" || fail "the wrong password was printed"
}

test_lab_relay_denied_for_every_variant() {
	need_lab
	lab -p "$SMTP_PORT" --relay-test probe@elsewhere.example -v
	expect_rc 0
	expect_summary '^SMTP OK - .*relay denied'
	expect_out 'relay denied \(6 of 6 variants refused\)'
	[ "$(grep -c '^\[OK\] relay test .*: 554 5\.7\.1 ' <<<"$out")" = 6 ] ||
		{ complain "not every variant got 554 5.7.1"; show_run; return 1; }
	[ "$(grep -c '^C: RSET$' <<<"$out")" = 6 ] || fail "not one RSET per variant"
	expect_no_out '^C: (DATA|BDAT)'
	expect_smtp_labels
}

test_lab_unknown_recipient() {
	need_lab
	lab -p "$SMTP_PORT" -f alice@lab.test --to nosuchuser@lab.test --expect-rcpt 550
	expect_rc 0
	expect_summary '^SMTP OK - .*RCPT 550'
	expect_smtp_labels
	# Without --expect-rcpt the rejection is CRITICAL, with the server's text.
	lab -p "$SMTP_PORT" -f alice@lab.test --to nosuchuser@lab.test
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*550 5\.1\.1 .*User unknown'
	# A known user with --expect-rcpt 550 is CRITICAL too.
	lab -p "$SMTP_PORT" -f alice@lab.test --to bob@lab.test --expect-rcpt 550
	expect_rc 2
	expect_summary '^SMTP CRITICAL - '
}

test_lab_mx_lookup() {
	need_lab
	local dns=(--dns-server "$DNS_SERVER:$DNS_PORT")
	run "$PLUGIN" --mx "$DNS_DOMAIN_NORMAL" "${dns[@]}" -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -t "$LAB_TIMEOUT_S"
	expect_rc 0
	expect_summary "^SMTP OK - lab\.test: mail\.lab\.test \[[^]]+\]:$SMTP_PORT ESMTP, STARTTLS TLSv1\.[23], "
	expect_smtp_labels
	run "$PLUGIN" --mx "$DNS_DOMAIN_NORMAL" "${dns[@]}" -p "$SMTP_PORT" --all-mx -t "$LAB_TIMEOUT_S"
	expect_rc 0
	expect_summary '^SMTP OK - lab\.test: 2 MX hosts, all OK'
	expect_out '^\[OK\] MX 10 mail\.lab\.test '
	expect_out '^\[OK\] MX 20 mx2\.lab\.test '
	run "$PLUGIN" --mx "$DNS_DOMAIN_NULLMX" "${dns[@]}" -p "$SMTP_PORT" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - nullmx\.test: null MX'
	expect_smtp_labels
	# No MX records: the domain is its own mail exchanger (RFC 5321 5.1),
	# as check_dns_mx --allow-implicit-mx has it: WARNING, and its SMTP.
	run "$PLUGIN" --mx "$DNS_DOMAIN_NOMX" "${dns[@]}" -p "$SMTP_PORT" -t "$LAB_TIMEOUT_S"
	expect_rc 1
	expect_summary "^SMTP WARNING - nomx\.test \[127\.0\.0\.1\]:$SMTP_PORT: no MX records: mail goes to the domain's own address \(RFC 5321 5\.1\); ESMTP, "
	expect_out '^\[OK\] QUIT: 221'
	# ... and without an address either: CRITICAL.
	run "$PLUGIN" --mx "$DNS_MXNOADDR_TARGET" "${dns[@]}" -p "$SMTP_PORT" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_summary "^SMTP CRITICAL - $(sed 's/\./\\./g' <<<"$DNS_MXNOADDR_TARGET"): connect: .*no records of that type"
	expect_smtp_labels
	run "$PLUGIN" --mx "$DNS_DOMAIN_NXDOMAIN" "${dns[@]}" -p "$SMTP_PORT" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - '
}

test_lab_data_arrives_in_the_pop3_mailbox() {
	need_lab
	local token
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -f bob@lab.test --to alice@lab.test --data
	expect_rc 0
	expect_summary '^SMTP OK - .*RCPT 250, queued as [0-9A-F]+, token [A-Za-z0-9]+'
	expect_smtp_labels
	expect_out 'data=[0-9.]+s'
	token=$(grep -oE 'token [A-Za-z0-9]+' <<<"$status_line" | head -n 1)
	token=${token#token }
	TOKEN=$token LAB_WAIT_S=$LAB_WAIT_S smtp_py <<'EOF' || fail "the --data message (token $token) was not found over POP3"
token = E["TOKEN"].encode()
want = int(E["POP3_ALICE_COUNT"])
deadline = time.monotonic() + float(E["LAB_WAIT_S"])
while True:
    p = pop3("alice")
    n = p.stat()[0]
    found = [i for i in range(1, n + 1) if token in b"\n".join(p.top(i, 0)[1])]
    if found or time.monotonic() > deadline:
        break
    p.quit(); time.sleep(0.2)
if not found:
    p.quit(); die("no message with subject token %s in alice's mailbox" % token.decode())
head = [l for l in p.top(found[0], 0)[1]]
for h in (b"Date:", b"From:", b"To:", b"Message-ID:", b"Subject:"):
    if not any(l.startswith(h) for l in head):
        p.dele(found[0]); p.quit(); die("the test message has no %s header" % h.decode())
subject = [l for l in head if l.startswith(b"Subject:")][0]
for i in found:
    p.dele(i)
p.quit()
if token not in subject:
    die("the token is not in the Subject: %r" % subject)
p = pop3("alice"); left = p.stat()[0]; p.quit()
if left != want:
    die("after deleting the test message alice has %d messages, not the seeded %d" % (left, want))
EOF
}

test_lab_banner_expect_regex() {
	need_lab
	lab -p "$SMTP_PORT" -e '^mail\.lab\.test ESMTP'
	expect_rc 0
	expect_summary '^SMTP OK - '
	lab -p "$SMTP_PORT" -e 'Microsoft ESMTP MAIL Service'
	expect_rc 1
	expect_out '^\[WARNING\] the banner does not match'
	expect_smtp_labels
	expect_summary '^SMTP WARNING - .*banner'
}

# check_smtp's -e: the banner with its code ("220") or without.
test_lab_banner_expect_as_check_smtp() {
	need_lab
	local e
	for e in 220 '^220 mail\.lab\.test' 'ESMTP netcheck lab$' '^mail\.lab\.test'; do
		lab -p "$SMTP_PORT" -e "$e"
		expect_rc 0
	done
	lab -p "$SMTP_PORT" -e '^250'
	expect_rc 1
	expect_summary '^SMTP WARNING - .*the banner does not match /\^250/'
}

# check_smtp's -C/-R: each command after EHLO, its reply against the -R in
# the same place (WARNING when it does not match), any reply without one.
test_lab_commands_and_expected_responses() {
	need_lab
	lab -p "$SMTP_PORT" -C 'VRFY postmaster' -R '^25[02] ' -C NOOP -v
	expect_rc 0
	expect_out '^\[OK\] VRFY postmaster: 252 2\.0\.0 postmaster \(matches -R\)$'
	expect_out '^\[OK\] NOOP: 250 2\.0\.0 Ok$'
	expect_out '^C: VRFY postmaster$'
	expect_smtp_labels
	lab -p "$SMTP_PORT" -C 'VRFY nosuchuser' -R '^25[02] '
	expect_rc 1
	expect_summary "^SMTP WARNING - \[127\.0\.0\.1\]:[0-9]+: the reply to VRFY nosuchuser does not match /\^25\[02\] /: 550 5\.1\.1 "
	expect_smtp_labels
	# After STARTTLS and before MAIL, in that order.
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -C NOOP -R '^250' -f alice@lab.test -v
	expect_rc 0
	[[ $out == *$'C: STARTTLS\n'*$'C: NOOP\n'*$'C: MAIL FROM:<alice@lab.test>\n'* ]] ||
		{ complain "NOOP is not between STARTTLS and MAIL"; show_run; return 1; }
	lab -p "$SMTP_PORT" -R '^250'
	expect_rc 3
	expect_summary "^SMTP UNKNOWN - -R '\^250' has no -C"
	lab -p "$SMTP_PORT" -C $'NOOP\r\nVRFY x'
	expect_rc 3
	expect_summary '^SMTP UNKNOWN - -C: a command is one line'
}

# -L: LMTP to the lab's Dovecot: LHLO, and after DATA one reply per
# recipient; the message is deleted again through POP3.
test_lab_lmtp() {
	need_lab
	local token=lmtp$$x u
	run "$PLUGIN" -H "$SMTP_HOST" -p "$LMTP_PORT" -L --to alice@lab.test -t "$LAB_TIMEOUT_S" -v
	expect_rc 0
	expect_summary '^SMTP OK - \[127\.0\.0\.1\]:[0-9]+ LMTP, RCPT 250, '
	expect_out '^C: LHLO '
	expect_out '^C: RSET$'
	expect_smtp_labels
	# Without -L, EHLO and HELO are refused: LMTP has neither.
	run "$PLUGIN" -H "$SMTP_HOST" -p "$LMTP_PORT" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*HELO refused: 500 '
	run "$PLUGIN" -H "$SMTP_HOST" -p "$LMTP_PORT" -L -f probe@lab.test --to alice@lab.test \
		--to bob@lab.test --data --token "$token" -t "$LAB_TIMEOUT_S" -v
	expect_rc 0
	expect_summary "^SMTP OK - .* LMTP, RCPT 250, queued, token $token, "
	[ "$(grep -cE '^S: 250 2\.0\.0 <(alice|bob)@lab\.test> .*Saved' <<<"$out")" = 2 ] ||
		{ complain "not one reply per recipient after DATA"; show_run; return 1; }
	for u in alice bob; do
		local pw=LAB_PWFILE_${u^^}
		run "$CHECKS/check_pop3_mailbox" -H "$POP3_HOST" -p "$POP3_PORT" --starttls \
			--ca-file "$LAB_CA" -U "$u" --password-file "${!pw}" --find-subject "$token" \
			--delete-found -t "$LAB_TIMEOUT_S"
		expect_rc 0
		expect_out "^\[OK\] found 1 message with '$token' in the subject .*, deleted$"
	done
}

test_lab_require_extensions() {
	need_lab
	lab -p "$SMTP_PORT" --require PIPELINING,8BITMIME,SIZE,DSN,STARTTLS
	expect_rc 0
	expect_summary '^SMTP OK - '
	# After STARTTLS the extensions are those of the second EHLO.
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" --require AUTH,pipelining
	expect_rc 0
	lab -p "$SMTP_PORT" --require PIPELINING,SMTPUTF8,AUTH
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*missing extensions: SMTPUTF8, AUTH'
	expect_smtp_labels
	# Whole keywords only: SIZ is not SIZE.
	lab -p "$SMTP_PORT" --require SIZ
	expect_rc 2
	expect_summary 'missing extensions: SIZ;'
}

test_lab_min_size() {
	need_lab
	lab -p "$SMTP_PORT" --min-size 5MB
	expect_rc 0
	lab -p "$SMTP_PORT" --min-size 10240000
	expect_rc 0
	lab -p "$SMTP_PORT" --min-size 20MB
	expect_rc 2
	expect_out '^\[CRITICAL\] SIZE 10240000 \(critical under 20 MB\)$'
	expect_summary 'SIZE 10240000 \(critical under 20 MB\)'
	expect_summary '^SMTP CRITICAL - .*SIZE'
}

test_lab_time_thresholds() {
	need_lab
	lab -p "$SMTP_PORT" -w 10s -c 20s
	expect_rc 0
	expect_out "time=[0-9.]+s;10;20;0"
	lab -p "$SMTP_PORT" -c 1us
	expect_rc 2
	expect_out '^\[CRITICAL\] total time [0-9.]+ ms \(critical over 0\.001 ms\)$'
	expect_summary 'total time [0-9.]+ ms \(critical over 0\.001 ms\); ESMTP'
}

test_lab_json_output_parses() {
	need_lab
	need_cmd python3
	lab -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -f alice@lab.test --to bob@lab.test --output=json
	expect_rc 0
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["state"] == "OK" and d["exit_code"] == 0, d
assert d["service"] == "SMTP", d
labels = [m["label"] for m in d["metrics"]]
want = "connect banner ehlo tls mail rcpt quit time cert_days".split()
assert labels == want, labels
assert "STARTTLS" in d["summary"], d["summary"]
' <<<"$out" || { complain "--output=json is not the document it should be"; show_run; return 1; }
	# A failure is a JSON document too.
	lab -p "$SMTP_EXPIRED_PORT" -S --ca-file "$LAB_CA" --output=json
	expect_rc 2
	python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); assert d["state"] == "CRITICAL", d' <<<"$out" ||
		{ complain "CRITICAL --output=json does not parse"; show_run; return 1; }
}

test_connection_refused_is_critical() {
	# Port 1 on loopback: nothing listens there.
	timed "$PLUGIN" -H 127.0.0.1 -p 1 -t 5
	expect_rc 2
	expect_summary '^SMTP CRITICAL - .*(refused|connect)'
	expect_smtp_labels
	expect_elapsed_below 3000
}

# ------------------------------------------------------------ bad arguments

test_bad_arguments_are_unknown() {
	local args
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		eval "args=($line)"
		run "$PLUGIN" "${args[@]}"
		[ "$rc" = 3 ] || { complain "[$line]: exit $rc, not 3"; show_run; return 1; }
		[[ $status_line =~ ^SMTP\ UNKNOWN\ -\ . ]] ||
			{ complain "[$line]: status line is not SMTP UNKNOWN - ..."; show_run; return 1; }
		[[ $status_line != *'|'* ]] || { complain "[$line]: perfdata on a usage error"; show_run; return 1; }
	done <<'EOF'

-p 25
-H 127.0.0.1 --mx lab.test
-H 127.0.0.1 --all-mx
-H 127.0.0.1 -S -s
-H 127.0.0.1 -D 30,7
-H 127.0.0.1 -S -D 7,30x
-H 127.0.0.1 --ca-file /etc/hostname
-H 127.0.0.1 -U alice
-H 127.0.0.1 -S -U alice --password-file /nonexistent/pw
-H 127.0.0.1 -S -P secret
-H 127.0.0.1 -A CRAM-MD5
-H 127.0.0.1 --to a@b.test --expect-rcpt 999
-H 127.0.0.1 --expect-rcpt 550
-H 127.0.0.1 --data
-H 127.0.0.1 --relay-test nodomain
-H 127.0.0.1 --relay-test probe@elsewhere.example -S -U a -P b
-H 127.0.0.1 -f 'a b@c'
-H 127.0.0.1 --to 'x<y>'
-H 127.0.0.1 --min-size 10XB
-H 127.0.0.1 -t 0
-H 127.0.0.1 -w 5x
-H 127.0.0.1 --output=xml
-H 127.0.0.1 --bogus
-H 127.0.0.1 extra
EOF
}

test_bad_argument_messages_name_the_option() {
	run "$PLUGIN" -H 127.0.0.1 --to a@b.test --expect-rcpt 999
	expect_rc 3
	expect_summary "^SMTP UNKNOWN - --expect-rcpt: '999' is out of range"
	run "$PLUGIN" -H 127.0.0.1 --min-size 10XB
	expect_rc 3
	expect_summary "^SMTP UNKNOWN - --min-size: '10XB' has an unknown unit"
}

test_bad_expect_regex_is_unknown() {
	# An -e that cannot be compiled is a usage error, found before any
	# connection (port 1: nothing listens there).
	run "$PLUGIN" -H 127.0.0.1 -p 1 -e '('
	expect_rc 3
	expect_summary '^SMTP UNKNOWN - -e: '
	run "$PLUGIN" -H 127.0.0.1 -p 1 --expect '[z-a]'
	expect_rc 3
	expect_summary '^SMTP UNKNOWN - (-e|--expect): '
}

# -e looks at the whole banner: a multi-line banner's later lines count.
test_fake_expect_matches_any_banner_line() {
	smtp_fake <<EOF2
send 220-fake.test first line\\r\\n220 Microsoft ESMTP MAIL Service\\r\\n
expect ^EHLO
send 250 fake.test\\r\\n
expect ^QUIT
send 221 bye\\r\\n
EOF2
	dlg -t 5 -e 'Microsoft ESMTP'
	expect_rc 0
	expect_summary '^SMTP OK - '
	smtp_fake <<EOF2
send 220-fake.test first line\\r\\n220 Postfix\\r\\n
expect ^EHLO
send 250 fake.test\\r\\n
expect ^QUIT
send 221 bye\\r\\n
EOF2
	dlg -t 5 -e 'Microsoft ESMTP'
	expect_rc 1
	expect_summary '^SMTP WARNING - .*the banner does not match /Microsoft ESMTP/'
}
