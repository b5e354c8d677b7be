# Smoke tests of the lab's mail servers (tests/lab/up): what a user of the
# lab relies on when a plugin test fails, so a broken lab shows up here first.
# SMTP and POP3 dialogues use python3 smtplib/poplib; certificates are always
# verified against $LAB_CA.  Every network wait has a timeout.

# lab_py: run python3 on stdin with the lab helpers defined.  T is the
# timeout of every network wait (LAB_TIMEOUT_S, lib.sh), WAIT how long a
# delivery may take (LAB_WAIT_S).
lab_py() {
	need_cmd python3
	LAB_TIMEOUT_S=$LAB_TIMEOUT_S LAB_WAIT_S=$LAB_WAIT_S python3 -c '
import os, sys, ssl, socket, smtplib, poplib, time
E = os.environ
T = float(E["LAB_TIMEOUT_S"])
WAIT = float(E["LAB_WAIT_S"])
def ctx():
    c = ssl.create_default_context(cafile=E["LAB_CA"])
    return c
def die(msg):
    print("    " + msg, file=sys.stderr)
    sys.exit(1)
def hosts(kind):
    """The lab addresses of SMTP or POP3: IPv4, and IPv6 unless the lab has none."""
    return [E[kind + "_HOST"]] + ([E[kind + "_HOST6"]] if E.get("LAB_IPV6") != "no" else [])
def pw(user):
    with open(E["LAB_PWFILE_" + user.upper()]) as f:
        return f.read()
def pop3_stls(user, host=None):
    p = poplib.POP3(host or E["POP3_HOST"], int(E["POP3_PORT"]), timeout=T)
    p.stls(ctx())
    p.user(user); p.pass_(pw(user))
    return p
def pop3s(user, host=None):
    p = poplib.POP3_SSL(host or E["POP3_HOST"], int(E["POP3S_PORT"]), context=ctx(), timeout=T)
    p.user(user); p.pass_(pw(user))
    return p
exec(sys.stdin.read())
'
}

test_lab_smtp_delivery_to_alice_arrives_in_pop3() {
	need_lab
	lab_py <<'EOF' || fail "a mail sent through the lab Postfix was not counted in the lab Dovecot"
p = pop3_stls("alice"); before = p.stat()[0]; p.quit()
token = "lab-delivery-%d-%d" % (os.getpid(), int(time.time()))
s = smtplib.SMTP(E["SMTP_HOST"], int(E["SMTP_PORT"]), timeout=T)
s.ehlo("client.lab.test")
msg = ("From: bob@lab.test\r\nTo: alice@lab.test\r\nSubject: %s\r\n"
       "Message-ID: <%s@client.lab.test>\r\n\r\nhello alice\r\n" % (token, token))
refused = s.sendmail("bob@lab.test", ["alice@lab.test"], msg)
s.quit()
if refused:
    die("recipient refused: %r" % refused)
deadline = time.monotonic() + WAIT
after = before
while time.monotonic() < deadline:
    p = pop3_stls("alice"); after = p.stat()[0]
    if after == before + 1:
        break
    p.quit(); time.sleep(0.2)
else:
    die("STAT count stayed %d (was %d before sending) for %g s; see %s" % (after, before, WAIT, E["SMTP_LOG"]))
# Find the message by its subject, check it, and delete it so the seeded
# mailbox is as the lab started it for the other tests.
found = None
for n in range(1, after + 1):
    head = b"\n".join(p.top(n, 0)[1])
    if token.encode() in head:
        found = n
if found is None:
    p.quit(); die("a message arrived but none has subject %s" % token)
p.dele(found); p.quit()
p = pop3_stls("alice"); left = p.stat()[0]; p.quit()
if left != before:
    die("after deleting the test message alice has %d messages, not %d" % (left, before))
EOF
}

test_lab_smtp_relay_to_outside_domain_refused() {
	need_lab
	lab_py <<'EOF' || fail "relay to an outside domain was not refused with 554 5.7.1"
s = smtplib.SMTP(E["SMTP_HOST"], int(E["SMTP_PORT"]), timeout=T)
s.ehlo("client.lab.test")
s.mail("bob@lab.test")
code, text = s.rcpt(E["SMTP_RELAY_DENIED_RCPT"])
s.quit()
if code != 554 or not text.startswith(b"5.7.1") or b"Relay access denied" not in text:
    die("RCPT TO:<%s> got %d %s" % (E["SMTP_RELAY_DENIED_RCPT"], code, text.decode()))
EOF
}

test_lab_smtp_unknown_lab_user_rejected() {
	need_lab
	lab_py <<'EOF' || fail "an unknown user of the lab domain was not rejected with 550"
s = smtplib.SMTP(E["SMTP_HOST"], int(E["SMTP_PORT"]), timeout=T)
s.ehlo("client.lab.test")
s.mail("bob@lab.test")
code, text = s.rcpt("nosuchuser@" + E["LAB_DOMAIN"])
s.quit()
if code != 550:
    die("RCPT TO:<nosuchuser@%s> got %d %s" % (E["LAB_DOMAIN"], code, text.decode()))
EOF
}

test_lab_smtp_starttls_auth_plain_and_login() {
	need_lab
	lab_py <<'EOF' || fail "SMTP AUTH over STARTTLS does not behave"
def session():
    s = smtplib.SMTP(E["SMTP_HOST"], int(E["SMTP_PORT"]), timeout=T)
    s.ehlo("client.lab.test")
    if s.has_extn("auth"):
        die("AUTH offered before STARTTLS: %s" % s.esmtp_features["auth"])
    if not s.has_extn("starttls"):
        die("STARTTLS not offered")
    # Verify the chain against the lab CA and the name mail.lab.test
    # (smtplib takes the TLS server name from the host it connected to).
    s._host = E["SMTP_NAME"]
    s.starttls(context=ctx())
    s.ehlo("client.lab.test")
    mechs = s.esmtp_features.get("auth", "").upper().split()
    if "PLAIN" not in mechs or "LOGIN" not in mechs:
        die("after STARTTLS AUTH offers %r, want PLAIN and LOGIN" % mechs)
    return s
s = session()
s.user, s.password = "alice", pw("alice")
code, text = s.auth("PLAIN", s.auth_plain)
if code != 235:
    die("AUTH PLAIN with the right password: %d %s" % (code, text))
s.quit()
s = session()
s.user, s.password = "alice", open(E["LAB_PWFILE_WRONG"]).read()
try:
    code, text = s.auth("PLAIN", s.auth_plain)
except smtplib.SMTPAuthenticationError as e:
    code, text = e.smtp_code, e.smtp_error
if code != 535:
    die("AUTH PLAIN with a wrong password: %d %s (want 535)" % (code, text))
s.quit()
s = session()
s.user, s.password = "bob", pw("bob")
code, text = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
if code != 235:
    die("AUTH LOGIN with the right password: %d %s" % (code, text))
s.quit()
EOF
}

test_lab_smtps_implicit_tls_auth() {
	need_lab
	lab_py <<'EOF' || fail "SMTPS (implicit TLS) does not work"
s = smtplib.SMTP_SSL(E["SMTP_HOST"], int(E["SMTPS_PORT"]), context=ctx(), timeout=T)
cert = s.sock.getpeercert()
san = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
if E["SMTP_NAME"] not in san:
    die("SMTPS certificate names %r" % san)
s.ehlo("client.lab.test")
code, text = s.login("alice", pw("alice"))
if code != 235:
    die("AUTH over SMTPS: %d %s" % (code, text))
s.quit()
EOF
}

test_lab_smtp_greets_on_every_address() {
	need_lab
	lab_py <<'EOF' || fail "an SMTP address of the lab does not greet"
ends = [(h, p) for h in hosts("SMTP") for p in (E["SMTP_PORT"], E["SMTP_NOTLS_PORT"],
        E["SMTP_BADCERT_PORT"], E["SMTP_WRONGHOST_PORT"], E["SMTP_SELFSIGNED_PORT"],
        E["SMTP_SOON_PORT"], E["SMTP_NOTYET_PORT"])] + [("127.0.0.2", E["SMTP_PORT"])]
for host, port in ends:
    s = smtplib.SMTP(timeout=T)
    code, text = s.connect(host, int(port))
    if code != 220 or not text.startswith(E["SMTP_NAME"].encode()):
        die("[%s]:%s greets %d %s" % (host, port, code, text))
    s.quit()
s = smtplib.SMTP(E["SMTP_HOST"], int(E["SMTP_NOTLS_PORT"]), timeout=T)
s.ehlo("client.lab.test")
if s.has_extn("starttls"):
    die("the no-TLS port %s offers STARTTLS" % E["SMTP_NOTLS_PORT"])
s.quit()
EOF
}

test_lab_pop3_stat_matches_seed_over_stls_and_pop3s() {
	need_lab
	lab_py <<'EOF' || fail "POP3 STAT does not match the seeded mailboxes"
for user in E["LAB_USERS"].split():
    want = (int(E["POP3_%s_COUNT" % user.upper()]), int(E["POP3_%s_BYTES" % user.upper()]))
    for name, login, host in [(n, l, h) for h in hosts("POP3")
                              for n, l in (("STLS", pop3_stls), ("POP3S", pop3s))]:
        p = login(user, host)
        got = p.stat()
        p.quit()
        if got != want:
            die("%s [%s] %s: STAT %r, seeded %r" % (name, host, user, got, want))
if int(E["POP3_ALICE_COUNT"]) < 1 or int(E["POP3_EMPTY_COUNT"]) != 0:
    die("the seed itself is off: alice %s, empty %s" % (E["POP3_ALICE_COUNT"], E["POP3_EMPTY_COUNT"]))
EOF
}

test_lab_pop3_wrong_password_refused() {
	need_lab
	lab_py <<'EOF' || fail "POP3 accepted a wrong password"
p = poplib.POP3_SSL(E["POP3_HOST"], int(E["POP3S_PORT"]), context=ctx(), timeout=T)
p.user("alice")
try:
    p.pass_(open(E["LAB_PWFILE_WRONG"]).read())
except poplib.error_proto as e:
    if not str(e).startswith("b'-ERR"):
        die("unexpected reply %s" % e)
else:
    die("PASS with a wrong password got +OK")
EOF
}

test_lab_pop3_apop() {
	need_lab
	[ "${POP3_APOP:-}" = yes ] || skip "the lab has no APOP"
	lab_py <<'EOF' || fail "APOP login does not work"
p = poplib.POP3(E["POP3_HOST"], int(E["POP3_PORT"]), timeout=T)
if b"<" not in p.getwelcome():
    die("no APOP timestamp in the greeting: %s" % p.getwelcome())
p.apop("bob", pw("bob"))
if p.stat()[0] != int(E["POP3_BOB_COUNT"]):
    die("APOP login sees a different mailbox")
p.quit()
EOF
}

test_lab_pop3_bob_has_a_weeks_old_message() {
	need_lab
	lab_py <<'EOF' || fail "bob's oldest message is not as old as the lab says"
import email.utils
p = pop3_stls("bob")
n = p.stat()[0]
ages = []
for i in range(1, n + 1):
    lines = [l.decode() for l in p.top(i, 0)[1]]
    date = [l[5:].strip() for l in lines if l.lower().startswith("date:")][0]
    ages.append((time.time() - email.utils.parsedate_to_datetime(date).timestamp()) / 86400)
p.quit()
want = int(E["POP3_BOB_OLDEST_DAYS"])
if not ages or not (want - 1 < max(ages) < want + 1):
    die("message ages in days %r, want the oldest about %d" % (ages, want))
if min(ages) > 1:
    die("bob should also have a recent message: %r" % ages)
EOF
}

# s_client PORT [ARGS...]: the STARTTLS (SMTP) handshake's text; sets $cert to
# the presented certificate (PEM).
s_client() {
	local port=$1
	shift
	need_cmd openssl
	out=$(timeout 15 openssl s_client -connect "$SMTP_HOST:$port" -starttls smtp \
		-CAfile "$LAB_CA" -showcerts "$@" </dev/null 2>&1) || true
	cert=$(sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p;/END CERTIFICATE/q' <<<"$out")
	[ -n "$cert" ] || { complain "no certificate from port $port"; printf '%s\n' "$out" | tail -n 5 >&2; return 1; }
}
fingerprint() { openssl x509 -noout -fingerprint -sha256; }

# expect_cert PORT FILE VERIFY_CODE: port presents FILE's certificate and
# OpenSSL's verification (CA file, host name mail.lab.test) ends with that code.
expect_cert() {
	s_client "$1" -verify_hostname "$SMTP_NAME"
	local got want
	got=$(fingerprint <<<"$cert")
	want=$(fingerprint <"$2")
	[ "$got" = "$want" ] || fail "port $1 presents $got, not $2 ($want)"
	grep -q "Verify return code: $3 " <<<"$out" ||
		fail "port $1: want verify code $3, got: $(grep 'Verify return code' <<<"$out")"
}

test_lab_tls_listeners_present_the_certificates_they_claim() {
	need_lab
	expect_cert "$SMTP_PORT" "$LAB_CERT_VALID" 0
	expect_cert "$SMTP_BADCERT_PORT" "$SMTP_BADCERT_CERT" 10   # certificate has expired
	expect_cert "$SMTP_EXPIRED_PORT" "$LAB_CERT_EXPIRED" 10
	expect_cert "$SMTP_WRONGHOST_PORT" "$LAB_CERT_WRONGHOST" 62 # hostname mismatch
	expect_cert "$SMTP_SELFSIGNED_PORT" "$LAB_CERT_SELFSIGNED" 18 # self-signed
	expect_cert "$SMTP_NOTYET_PORT" "$LAB_CERT_NOTYET" 9       # not yet valid
	expect_cert "$SMTP_SOON_PORT" "$LAB_CERT_SOON" 0
	# The expired one's notAfter is in the past; the soon one ends in 4-5 days.
	s_client "$SMTP_BADCERT_PORT"
	local end
	end=$(openssl x509 -noout -enddate <<<"$cert")
	end=${end#notAfter=}
	[ "$(date -u -d "$end" +%s)" -lt "$(date +%s)" ] || fail "expired certificate ends $end, not in the past"
	s_client "$SMTP_SOON_PORT"
	openssl x509 -noout -checkend $((4 * 86400)) <<<"$cert" >/dev/null ||
		fail "the 5-day certificate ends within 4 days"
	if openssl x509 -noout -checkend $((LAB_CERT_SOON_DAYS * 86400 + 3 * 3600)) <<<"$cert" >/dev/null; then
		fail "the 5-day certificate lasts longer than $LAB_CERT_SOON_DAYS days"
	fi
}

test_lab_smtps_and_pop3s_certificates_verify() {
	need_lab
	need_cmd openssl
	local port
	for port in "$SMTPS_PORT" "$POP3S_PORT"; do
		out=$(timeout 15 openssl s_client -connect "$SMTP_HOST:$port" -CAfile "$LAB_CA" \
			-verify_hostname "$SMTP_NAME" </dev/null 2>&1) || true
		grep -q 'Verify return code: 0 ' <<<"$out" ||
			fail "implicit TLS on port $port: $(grep 'Verify return code' <<<"$out")"
	done
	local h=$POP3_HOST
	[ "${LAB_IPV6:-}" = no ] || h="[$POP3_HOST6]"
	out=$(timeout 15 openssl s_client -connect "$h:$POP3_PORT" -starttls pop3 \
		-CAfile "$LAB_CA" -verify_hostname "$SMTP_NAME" </dev/null 2>&1) || true
	grep -q 'Verify return code: 0 ' <<<"$out" ||
		fail "POP3 STLS on $h: $(grep 'Verify return code' <<<"$out")"
}
