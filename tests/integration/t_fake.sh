# Self-tests of the fakes (tests/fake/tcpfake, tests/fake/dnsfake): plain
# Python clients talk to every scenario step and every DNS mode and check
# what they see, so a broken fake cannot make a plugin test pass.

. "$TOP/tests/fake/lib.sh"

# Writes stdin to $FAKE_TMP/NAME and sets $sc to its path.
scenario() {
	fake_init
	sc=$FAKE_TMP/$1
	cat >"$sc"
}

# The lines the client sent, as the log recorded them.
client_lines() { sed -n 's/^C: //p' "$FAKE_LOG"; }

expect_fake_rc() {
	fake_wait "$FAKE_PID" "${2:-10}"
	[ "$FAKE_RC" = "$1" ] && return 0
	fail "fake exited $FAKE_RC, expected $1"
	sed 's/^/      out: /' "$FAKE_OUT" >&2
	sed 's/^/      log: /' "$FAKE_LOG" >&2
	return 1
}

# ---------------------------------------------------------------- tcpfake

test_tcpfake_banner_escapes_and_exact_log() {
	fake_init
	scenario s <<'EOF'
# a comment, then a banner with escapes
send 220 fake\tESMTP \x41\\\r\n
expect ^EHLO client\.test$
send 250-fake\r\n250 SIZE 1000\r\n
expect-any
sendraw 32 35 30 20 6f6b0d0a
expect ^QUIT
send 221 bye\r\n
close
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
got = f.readline()
assert got == b"220 fake\tESMTP A\\\r\n", got
s.sendall(b"EHLO client.test\r\n")
assert f.readline() == b"250-fake\r\n"
assert f.readline() == b"250 SIZE 1000\r\n"
s.sendall(b"MAIL FROM:<a@b>  \tx\r\n")
assert f.readline() == b"250 ok\r\n"
s.sendall(b"QUIT\n")
assert f.readline() == b"221 bye\r\n"
assert f.read() == b"", "no EOF after close"
EOF
	expect_fake_rc 0
	want=$'EHLO client.test\nMAIL FROM:<a@b>  \\tx\nQUIT\\n'
	got=$(client_lines)
	[ "$got" = "$want" ] || fail "log has [$got], want [$want]"
	grep -q '^S: 221 bye$' "$FAKE_LOG" || fail "sent lines not logged"
}

test_tcpfake_smtplib_dialogue() {
	scenario smtp <<'EOF'
send 220 mail.fake.test ESMTP\r\n
expect (?i)^EHLO probe\.test$
send 250-mail.fake.test\r\n250 8BITMIME\r\n
expect (?i)^MAIL FROM:<probe@fake\.test>
send 250 sender ok\r\n
expect (?i)^RCPT TO:<postmaster@fake\.test>$
send 250 rcpt ok\r\n
expect (?i)^RSET$
send 250 reset\r\n
expect (?i)^QUIT$
send 221 bye\r\n
close
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" <<'EOF'
import smtplib, sys
c = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="probe.test", timeout=5)
assert c.ehlo()[0] == 250
assert c.has_extn("8bitmime")
assert c.mail("probe@fake.test") == (250, b"sender ok")
assert c.rcpt("postmaster@fake.test") == (250, b"rcpt ok")
assert c.rset()[0] == 250
assert c.quit()[0] == 221
EOF
	expect_fake_rc 0
	# smtplib sends its verbs in lower case; the log keeps them exactly
	want=$'ehlo probe.test\nmail FROM:<probe@fake.test>\nrcpt TO:<postmaster@fake.test>\nrset\nquit'
	got=$(client_lines)
	[ "$got" = "$want" ] || fail "log has [$got], want [$want]"
}

test_tcpfake_pop3_repeat_100000_lines() {
	scenario pop <<'EOF'
send +OK fake POP3\r\n
expect ^USER u$
send +OK\r\n
expect ^PASS p$
send +OK logged in\r\n
expect ^LIST$
send +OK 100000 messages\r\n
repeat 100000
send ${i} 120\r\n
end
send .\r\n
expect ^QUIT$
send +OK bye\r\n
close
EOF
	fake_start tcpfake --scenario "$sc"
	# About 4 s (8 s on a busy machine): 40 s is "too slow".
	python3 - "$FAKE_PORT" <<'EOF'
import poplib, sys, time
t = time.monotonic()
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
assert p.getwelcome() == b"+OK fake POP3", p.getwelcome()
p.user("u"); p.pass_("p")
resp, lines, _ = p.list()
assert len(lines) == 100000, len(lines)
assert lines[0] == b"1 120" and lines[-1] == b"100000 120", (lines[0], lines[-1])
p.quit()
assert time.monotonic() - t < 40, "too slow: %.1f s" % (time.monotonic() - t)
EOF
	expect_fake_rc 0
	[ "$(client_lines | tr '\n' ' ')" = "USER u PASS p LIST QUIT " ] || fail "log: $(client_lines)"
}

test_tcpfake_drip_timing() {
	scenario drip <<'EOF'
drip 0.05 220 dripping\r\n
wait-close
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
t = time.monotonic()
buf, reads = b"", 0
while not buf.endswith(b"\n"):
    d = s.recv(100)
    assert d, "EOF in the middle of the drip"
    buf += d
    reads += 1
dt = time.monotonic() - t
assert buf == b"220 dripping\r\n", buf
# 14 bytes, 13 gaps of 0.05 s: about 0.65 s
assert 0.45 < dt < 3.0, "drip took %.2f s" % dt
assert reads >= 5, "only %d reads: not dripped" % reads
s.close()
EOF
	expect_fake_rc 0
	grep -q '^S: 220 dripping$' "$FAKE_LOG" || fail "drip not logged"
	grep -q 'client closed' "$FAKE_LOG" || fail "wait-close did not see the close"
}

test_tcpfake_reset_is_econnreset() {
	scenario rst <<'EOF'
send +OK hello\r\n
expect ^CAPA
reset
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" <<'EOF'
import errno, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
assert s.recv(100) == b"+OK hello\r\n"
s.sendall(b"CAPA\r\n")
try:
    d = s.recv(100)
except ConnectionResetError:
    pass
else:
    raise AssertionError("expected ECONNRESET, got %r" % d)
EOF
	expect_fake_rc 0
}

test_tcpfake_close_is_eof() {
	scenario close <<'EOF'
send 554 go away\r\n
close
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
assert f.readline() == b"554 go away\r\n"
assert s.recv(100) == b"", "expected EOF"
EOF
	expect_fake_rc 0
}

test_tcpfake_starttls_switch() {
	need_cmd openssl
	fake_init
	fake_cert "$FAKE_TMP" || fail "openssl could not make a certificate"
	scenario tls <<EOF
send 220 tls.fake.test ESMTP\r\n
expect (?i)^EHLO
send 250-tls.fake.test\r\n250 STARTTLS\r\n
expect (?i)^STARTTLS\$
send 220 go ahead\r\n
starttls $FAKE_TMP/cert.pem $FAKE_TMP/key.pem
expect (?i)^EHLO
send 250-tls.fake.test\r\n250 AUTH PLAIN\r\n
expect (?i)^QUIT\$
send 221 bye\r\n
close
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" "$FAKE_TMP/cert.pem" <<'EOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
c = smtplib.SMTP("localhost", int(sys.argv[1]), local_hostname="probe.test", timeout=5)
c.ehlo()
assert c.has_extn("starttls")
code, _ = c.starttls(context=ctx)
assert code == 220, code
assert c.sock.version().startswith("TLS"), c.sock.version()
c.ehlo()
assert c.has_extn("auth"), c.esmtp_features
assert c.quit()[0] == 221
EOF
	expect_fake_rc 0
	grep -q '^E: line 6: TLS up: TLSv1' "$FAKE_LOG" || fail "no TLS up event in the log"
	[ "$(client_lines | tr '\n' ' ')" = "ehlo probe.test STARTTLS ehlo probe.test quit " ] ||
		fail "log: $(client_lines)"
}

test_tcpfake_tls_version_pin_and_handshake_failure() {
	need_cmd openssl
	fake_init
	fake_cert "$FAKE_TMP" || fail "openssl could not make a certificate"
	# implicit TLS (starttls first), pinned to TLS 1.2
	scenario tls12 <<EOF
starttls $FAKE_TMP/cert.pem $FAKE_TMP/key.pem tls1.2
send +OK pop3s\r\n
expect ^QUIT
send +OK\r\n
close
EOF
	fake_start tcpfake --scenario "$sc" --connections 2
	python3 - "$FAKE_PORT" "$FAKE_TMP/cert.pem" <<'EOF'
import socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                    server_hostname="localhost")
assert s.version() == "TLSv1.2", s.version()
assert s.recv(100) == b"+OK pop3s\r\n"
s.sendall(b"QUIT\r\n")
assert s.recv(100) == b"+OK\r\n"
s.close()
# second connection: a client that rejects the self-signed certificate
strict = ssl.create_default_context()
try:
    strict.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5),
                       server_hostname="localhost")
except ssl.SSLCertVerificationError:
    pass
else:
    raise AssertionError("the untrusted certificate was accepted")
EOF
	expect_fake_rc 1
	grep -q 'TLS handshake failed' "$FAKE_LOG" || fail "handshake failure not logged"
}

test_tcpfake_send_inject_one_segment() {
	need_cmd openssl
	fake_init
	fake_cert "$FAKE_TMP" || fail "openssl could not make a certificate"
	scenario inject <<EOF
send 220 fake ESMTP\r\n
expect ^STARTTLS\$
send-inject 220 go ahead\r\n250 injected\r\n
starttls $FAKE_TMP/cert.pem $FAKE_TMP/key.pem
expect ^EHLO
send 250 inside tls\r\n
close
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" "$FAKE_TMP/cert.pem" <<'EOF'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
assert s.recv(100) == b"220 fake ESMTP\r\n"
s.sendall(b"STARTTLS\r\n")
got = s.recv(4096)           # ONE read must hold both lines
assert got == b"220 go ahead\r\n250 injected\r\n", got
ctx = ssl.create_default_context(cafile=sys.argv[2])
t = ctx.wrap_socket(s, server_hostname="localhost")
t.sendall(b"EHLO x\r\n")
assert t.recv(100) == b"250 inside tls\r\n"
EOF
	expect_fake_rc 0
	grep -q 'in one write (injection)' "$FAKE_LOG" || fail "injection not logged"
}

test_tcpfake_split_lines_and_client_side_injection() {
	need_cmd openssl
	fake_init
	fake_cert "$FAKE_TMP" || fail "openssl could not make a certificate"
	scenario split <<EOF
send 220 hi\r\n
expect ^EHLO slow\$
send 250 STARTTLS\r\n
expect ^STARTTLS\$
send 220 go ahead\r\n
starttls $FAKE_TMP/cert.pem $FAKE_TMP/key.pem
expect ^EHLO tls\$
send 250 ok\r\n
expect ^tail without newline\$
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" "$FAKE_TMP/cert.pem" <<'EOF'
import socket, ssl, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
assert f.readline() == b"220 hi\r\n"
for part in (b"EH", b"LO s", b"low\r", b"\n"):     # a line in pieces
    s.sendall(part)
    time.sleep(0.05)
assert f.readline() == b"250 STARTTLS\r\n"
s.sendall(b"STARTTLS\r\nRSET\r\n")              # command injection attempt
assert f.readline() == b"220 go ahead\r\n"
ctx = ssl.create_default_context(cafile=sys.argv[2])
t = ctx.wrap_socket(s, server_hostname="localhost")
t.sendall(b"EHLO tls\r\n")
assert t.recv(100) == b"250 ok\r\n"
t.sendall(b"tail without newline")
time.sleep(0.1)
t.close()                                            # EOF ends the line
EOF
	expect_fake_rc 0
	grep -q '^E: line 6: client sent plaintext after STARTTLS: RSET\\r\\n$' "$FAKE_LOG" ||
		fail "no injection event: $(cat "$FAKE_LOG")"
	[ "$(client_lines | tr '\n' '|')" = "EHLO slow|STARTTLS|EHLO tls|tail without newline|" ] ||
		fail "log: $(client_lines)"
}

test_tcpfake_expect_mismatch_exits_1() {
	scenario mismatch <<'EOF'
send 220 hi\r\n
expect ^HELO
send 250 never\r\n
EOF
	fake_start tcpfake --scenario "$sc"
	python3 - "$FAKE_PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.recv(100)
s.sendall(b"EHLO x\r\n")
assert s.recv(100) == b"", "the fake went on after a mismatch"
EOF
	expect_fake_rc 1
	grep -q "line 2: expected /^HELO/, got 'EHLO x'" "$FAKE_OUT" || fail "stderr: $(cat "$FAKE_OUT")"
	grep -q '^E: FAIL line 2' "$FAKE_LOG" || fail "no FAIL in the log"
}

# The silence lasts 1 s; the client, which starts timing when it has read
# the 220 (a busy machine may hand it over late), sees at least half of it.
test_tcpfake_expect_silence() {
	scenario quiet <<'EOF'
send 220 wait for it\r\n
expect-silence 1
send 250 now talk\r\n
expect ^NOOP$
close
EOF
	fake_start tcpfake --scenario "$sc" --connections 2
	python3 - "$FAKE_PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=5)
f = s.makefile("rb")
assert f.readline() == b"220 wait for it\r\n"
t = time.monotonic()
assert f.readline() == b"250 now talk\r\n"
assert time.monotonic() - t >= 0.5, "silence of %.2f s" % (time.monotonic() - t)
s.sendall(b"NOOP\r\n")
assert f.read() == b""
s.close()
# second connection talks too early: that fails the scenario
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"NOOP\r\n")
s.recv(100)
s.close()
EOF
	expect_fake_rc 1
	grep -q "line 2: expected silence for 1 s, got 'NOOP" "$FAKE_OUT" || fail "stderr: $(cat "$FAKE_OUT")"
}

test_tcpfake_client_closing_early_exits_1() {
	scenario early <<'EOF'
send 220 hi\r\n
expect ^EHLO
EOF
	fake_start tcpfake --scenario "$sc"
	python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.recv(10); s.close()' "$FAKE_PORT"
	expect_fake_rc 1
	grep -q 'client closed the connection' "$FAKE_OUT" || fail "stderr: $(cat "$FAKE_OUT")"
}

test_tcpfake_ipv6_and_connections() {
	python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null ||
		skip "no IPv6 loopback here"
	scenario v6 <<'EOF'
send +OK v6\r\n
expect-any
close
EOF
	fake_start tcpfake --listen '[::1]:0' --scenario "$sc" --connections 2
	python3 - "$FAKE_PORT" <<'EOF'
import socket, sys
for n in (1, 2):
    s = socket.create_connection(("::1", int(sys.argv[1])), timeout=5)
    assert s.recv(100) == b"+OK v6\r\n"
    s.sendall(b"NOOP %d\r\n" % n)
    assert s.recv(100) == b""
    s.close()
EOF
	expect_fake_rc 0
	[ "$(client_lines | tr '\n' ' ')" = "NOOP 1 NOOP 2 " ] || fail "log: $(client_lines)"
	grep -q '^E: connection 2 from ::1' "$FAKE_LOG" || fail "no second connection in the log"
}

test_tcpfake_refuses_non_loopback_and_bad_scenarios() {
	fake_init
	printf 'send hi\\r\\n\n' >"$FAKE_TMP/ok"
	for addr in 0.0.0.0:0 '[::]:0' 192.0.2.1:0 example.test:25; do
		run "$TOP/tests/fake/tcpfake" --listen "$addr" --scenario "$FAKE_TMP/ok" --max-seconds 2
		expect_rc 2
		[[ $err == *loopback* || $err == *listen* ]] || fail "$addr: $err"
	done
	for bad in 'bogus step' 'repeat 2' 'end' 'expect (' 'sleep x' 'send \q' 'sendraw zz' 'drip 1'; do
		printf '%s\n' "$bad" >"$FAKE_TMP/bad"
		run "$TOP/tests/fake/tcpfake" --scenario "$FAKE_TMP/bad" --max-seconds 2
		expect_rc 2
		[[ $err == *'line 1'* ]] || fail "'$bad': no line number in [$err]"
	done
}

# expect_lifetime RC SECS T0: the last fake exits with RC at most SECS
# (its --max-seconds) after T0 (an $EPOCHREALTIME taken when fake_start
# returned, the fake listening), give or take SLACK_MS; its hard stop
# (SIGALRM) would come 5 s later.  It is waited for 10x SECS.
expect_lifetime() {
	local ms
	expect_fake_rc "$1" $((10 * $2))
	ms=$(((${EPOCHREALTIME/./} - ${3/./}) / 1000))
	[ "$ms" -lt $(($2 * 1000 + SLACK_MS)) ] || fail "the fake lived $ms ms with --max-seconds $2"
}

test_tcpfake_lifetime_is_bounded() {
	scenario long <<'EOF'
send 220 wait\r\n
sleep 30
send 221 too late\r\n
EOF
	local t0
	fake_start tcpfake --scenario "$sc" --max-seconds 1
	t0=$EPOCHREALTIME
	python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=10); assert s.recv(100)==b"220 wait\r\n"; assert s.recv(100)==b""' "$FAKE_PORT"
	expect_lifetime 1 1 "$t0"
	# nobody connects at all
	fake_start tcpfake --scenario "$sc" --max-seconds 1
	expect_lifetime 1 1 "$EPOCHREALTIME"
	grep -q 'lifetime over after 0 of 1' "$FAKE_LOG" || fail "log: $(cat "$FAKE_LOG")"
}

# ---------------------------------------------------------------- dnsfake

dnsq() { "$TOP/tests/fake/dnsq" "$@"; }

test_dnsfake_ok_udp_and_tcp() {
	fake_start dnsfake --mode ok --mx '10 mx1.fake.test,20 mx2.fake.test'
	for t in "" --tcp; do
		run dnsq $t --id 4660 "$FAKE_PORT" example.test MX
		expect_rc 0
		expect_status '^id=4660 qr=1 aa=1 tc=0 rd=1 ra=1 rcode=NOERROR qd=1 an=2 ns=0 ar=2 '
		expect_out '^AN example\.test MX 10 mx1\.fake\.test$'
		expect_out '^AN example\.test MX 20 mx2\.fake\.test$'
		expect_out '^AR mx1\.fake\.test A 127\.0\.0\.1$'
		expect_out '^AR mx2\.fake\.test A 127\.0\.0\.2$'
	done
	run dnsq "$FAKE_PORT" MX2.fake.test A
	expect_status 'rcode=NOERROR .* an=1 '
	expect_out '^AN MX2\.fake\.test A 127\.0\.0\.2$'
	grep -q '^Q: udp example.test MX id=4660$' "$FAKE_LOG" || fail "log: $(cat "$FAKE_LOG")"
	grep -q '^Q: tcp example.test MX id=4660$' "$FAKE_LOG" || fail "log: $(cat "$FAKE_LOG")"
}

test_dnsfake_mx_options() {
	fake_start dnsfake --mx '5 a.fake.test=127.0.0.9/::1,10 b.fake.test=none'
	run dnsq "$FAKE_PORT" example.test MX
	expect_out '^AN example\.test MX 5 a\.fake\.test$'
	expect_out '^AR a\.fake\.test A 127\.0\.0\.9$'
	expect_out '^AR a\.fake\.test AAAA ::1$'
	expect_no_out '^AR b\.'
	run dnsq "$FAKE_PORT" b.fake.test A
	expect_status 'rcode=NXDOMAIN .*an=0 '
	run dnsq "$FAKE_PORT" other.test A
	expect_status 'rcode=NOERROR .*an=0 '
	fake_start dnsfake --mx '0 .'
	run dnsq "$FAKE_PORT" nullmx.test MX
	expect_out '^AN nullmx\.test MX 0 \.$'
	fake_start dnsfake --mx ''
	run dnsq "$FAKE_PORT" nomx.test MX
	expect_status 'rcode=NOERROR .*an=0 ns=0 ar=0 '
}

test_dnsfake_error_rcodes() {
	for m in servfail:SERVFAIL refused:REFUSED nxdomain:NXDOMAIN; do
		fake_start dnsfake --mode "${m%%:*}"
		for t in "" --tcp; do
			run dnsq $t "$FAKE_PORT" example.test MX
			expect_rc 0
			expect_status "qr=1 .*rcode=${m#*:} qd=1 an=0 ns=0 ar=0 "
		done
	done
}

test_dnsfake_silence() {
	fake_start dnsfake --mode silence
	run dnsq --timeout 0.5 "$FAKE_PORT" example.test MX
	expect_rc 1
	expect_status '^TIMEOUT$'
	run dnsq --tcp --timeout 0.5 "$FAKE_PORT" example.test MX
	expect_rc 1
	expect_status '^TIMEOUT$'
	[ "$(grep -c '^Q: ' "$FAKE_LOG")" = 2 ] || fail "log: $(cat "$FAKE_LOG")"
}

test_dnsfake_truncate() {
	fake_start dnsfake --mode truncate
	run dnsq "$FAKE_PORT" example.test MX
	expect_status 'qr=1 .*tc=1 .*rcode=NOERROR qd=1 an=0 '
	run dnsq --tcp "$FAKE_PORT" example.test MX
	expect_status 'qr=1 .*tc=0 .*rcode=NOERROR qd=1 an=2 '
	expect_out '^AN example\.test MX 10 mx1\.fake\.test$'
}

test_dnsfake_malformed_cycle() {
	fake_start dnsfake --mode malformed
	run dnsq "$FAKE_PORT" example.test MX      # short
	expect_status '^SHORT len=5 '
	run dnsq "$FAKE_PORT" example.test MX      # truncated answer
	expect_out '^BADBODY'
	run dnsq "$FAKE_PORT" example.test MX      # pointer loop
	expect_out '^BADBODY pointer loop'
	run dnsq "$FAKE_PORT" example.test MX      # rdlength past the end
	expect_out '^BADBODY rdata past the end'
	run dnsq "$FAKE_PORT" example.test MX      # garbage: any reply will do
	expect_rc 0
	run dnsq --tcp "$FAKE_PORT" example.test MX  # back to short, over TCP
	expect_status '^SHORT len=5 '
	fake_start dnsfake --mode malformed --malformed loop
	run dnsq --tcp "$FAKE_PORT" example.test MX
	expect_out '^BADBODY pointer loop'
}

test_dnsfake_wrong_id() {
	fake_start dnsfake --mode wrong-id
	for t in "" --tcp; do
		run dnsq $t --id 100 "$FAKE_PORT" example.test MX
		expect_status '^id=101 qr=1 .*rcode=NOERROR .*asked_id=100$'
	done
}

test_dnsfake_wrong_name() {
	fake_start dnsfake --mode wrong-name
	for t in "" --tcp; do
		run dnsq $t --id 100 "$FAKE_PORT" example.test MX
		expect_status '^id=100 qr=1 .*rcode=NOERROR .*an=2 .*asked_id=100$'
		expect_out '^AN elsewhere\.fake\.test MX 10 mx1\.fake\.test$'
		expect_no_out 'example\.test'
	done
}

# The answer comes after 1 s: a client that waits 10 s gets it, one that
# waits 0.1 s does not.
test_dnsfake_slow() {
	fake_start dnsfake --mode slow 1
	run dnsq --timeout 10 "$FAKE_PORT" example.test MX
	expect_status 'rcode=NOERROR .*an=2 '
	el=${status_line##*elapsed=}; el=${el%% *}
	python3 -c 'import sys; t=float(sys.argv[1]); assert 0.9 <= t < 1 + 2 * int(sys.argv[2]) / 1000, t' \
		"$el" "$SLACK_MS" || fail "slow 1 answered after $el s"
	run dnsq --timeout 0.1 "$FAKE_PORT" example.test MX
	expect_status '^TIMEOUT$'
}

test_dnsfake_compressed_query_and_formerr() {
	fake_start dnsfake --queries 3
	python3 - "$FAKE_PORT" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
# the question name is a pointer to a name placed after the question
name = b"\x07example\x04test\x00"
q = struct.pack("!6H", 7, 0x0100, 1, 0, 0, 0) + b"\xc0\x12" + struct.pack("!HH", 15, 1) + name
s.sendto(q, ("127.0.0.1", port))
r = s.recv(4096)
rid, fl, qd, an = struct.unpack("!4H", r[:8])
assert rid == 7 and fl & 0xF == 0 and an == 2, (rid, fl, an)
# a question whose name runs past the end: FORMERR
s.sendto(struct.pack("!6H", 8, 0x0100, 1, 0, 0, 0) + b"\x07exa", ("127.0.0.1", port))
r = s.recv(4096)
rid, fl = struct.unpack("!HH", r[:4])
assert rid == 8 and fl & 0x800F == 0x8001, hex(fl)
# a header alone, no question: FORMERR too
s.sendto(struct.pack("!6H", 9, 0x0100, 0, 0, 0, 0), ("127.0.0.1", port))
r = s.recv(4096)
assert struct.unpack("!HH", r[:4]) [0] == 9 and r[3] & 0xF == 1
EOF
	expect_fake_rc 0 5
	grep -q '^Q: udp example.test MX id=7$' "$FAKE_LOG" || fail "log: $(cat "$FAKE_LOG")"
	grep -q '^Q: udp bad query' "$FAKE_LOG" || fail "log: $(cat "$FAKE_LOG")"
}

test_dnsfake_refuses_non_loopback_and_is_bounded() {
	run "$TOP/tests/fake/dnsfake" --listen 0.0.0.0:0 --max-seconds 1
	expect_rc 2
	run "$TOP/tests/fake/dnsfake" --mode nosuchmode --max-seconds 1
	expect_rc 2
	fake_start dnsfake --mode silence --max-seconds 1
	expect_lifetime 0 1 "$EPOCHREALTIME"
	fake_start dnsfake --queries 5 --max-seconds 1
	expect_lifetime 1 1 "$EPOCHREALTIME"
}

test_dnsfake_dig() {
	need_cmd dig
	fake_start dnsfake --mode ok
	run dig +short +tries=1 +time=2 @127.0.0.1 -p "$FAKE_PORT" example.test MX
	expect_rc 0
	expect_out '^10 mx1\.fake\.test\.$'
	expect_out '^20 mx2\.fake\.test\.$'
	run dig +tries=1 +time=2 @127.0.0.1 -p "$FAKE_PORT" mx1.fake.test A
	expect_out 'status: NOERROR'
	expect_out '^mx1\.fake\.test\.[[:space:]].*A[[:space:]]+127\.0\.0\.1$'
	fake_start dnsfake --mode truncate
	# dig retries a truncated UDP answer over TCP by itself
	run dig +tries=1 +time=2 @127.0.0.1 -p "$FAKE_PORT" example.test MX
	expect_out 'Truncated, retrying in TCP mode'
	expect_out 'ANSWER: 2'
	fake_start dnsfake --mode servfail
	run dig +tries=1 +time=2 @127.0.0.1 -p "$FAKE_PORT" example.test MX
	expect_out 'status: SERVFAIL'
}
