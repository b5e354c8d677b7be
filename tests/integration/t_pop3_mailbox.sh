# check_pop3_mailbox: against the lab Dovecot (seeded mailboxes, STLS, POP3S,
# APOP, SASL PLAIN, wrong password, the --find-subject/--delete-found round
# trip through the lab Postfix) and against tcpfake for every fault of
# issue 6.  No test leaves mail behind: what is delivered is deleted again.

. "$TOP/tests/fake/lib.sh"

# The perfdata labels follow from the options of the run (DESIGN.md): tls
# and cert_days only with TLS (-S or --starttls); the whole run is time.
pop_labels() {
	local a tls=''
	for a in "${RUN_ARGS[@]}"; do
		case $a in -S|--ssl|--tls|--starttls) tls=1 ;; esac
	done
	printf '%s\n' messages size largest oldest connect greeting ${tls:+tls} auth stat time \
		${tls:+cert_days}
}
# shellcheck disable=SC2046 # one label a word
expect_pop_labels() { expect_perf_labels $(pop_labels); }

# perf_value LABEL: the value of a perfdata item, without its unit.
perf_value() {
	local v
	v=$(tr ' ' '\n' <<<"$perf" | sed -n "s/^$1=\([^;]*\).*/\1/p")
	v=${v%B}; v=${v%s}
	printf '%s\n' "$v"
}

expect_perf() {
	local got
	got=$(perf_value "$1")
	[ "$got" = "$2" ] && return 0
	complain "perfdata $1 is '$got', want '$2'"; show_run; return 1
}

# The password must never show, whatever the verbosity or format.
expect_no_password() {
	if grep -qF -- "$1" <<<"$out$err"; then
		complain "the password appears in the output"; show_run; return 1
	fi
}

lab_pop() { # lab_pop USER ARGS...: a run against the lab over STLS
	local user=$1; shift
	local pwvar=LAB_PWFILE_${user^^}
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" --starttls --ca-file "$LAB_CA" -U "$user" \
		--password-file "${!pwvar}" "$@"
}

# ---------------------------------------------------------------- the lab

test_pop3_lab_seeded_counts_sizes_and_ages_stls_and_pop3s() {
	need_lab
	local user mode age
	for user in $LAB_USERS; do
		local U=${user^^}
		local pwvar=LAB_PWFILE_$U cnt=POP3_${U}_COUNT bytes=POP3_${U}_BYTES
		for mode in stls pop3s; do
			if [ $mode = stls ]; then
				lab_pop "$user"
				expect_status "^POP3 OK - $user@127\.0\.0\.1:$POP3_PORT: ${!cnt} messages?, .*STLS TLSv1\.[23], [0-9]+ ms \|"
			else
				run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" \
					-U "$user" --password-file "${!pwvar}"
				expect_status "^POP3 OK - $user@127\.0\.0\.1:$POP3S_PORT: ${!cnt} messages?, .*, TLSv1\.[23], [0-9]+ ms \|"
			fi
			expect_rc 0
			expect_pop_labels
			expect_perf messages "${!cnt}"
			expect_perf size "${!bytes}"
		done
	done
	# Ages: bob's oldest is POP3_BOB_OLDEST_DAYS old, alice's
	# POP3_ALICE_OLDEST_SECONDS (+ slack for the time since the lab started).
	lab_pop bob
	age=$(perf_value oldest)
	[ "$age" -ge $((POP3_BOB_OLDEST_DAYS * 86400)) ] && [ "$age" -lt $((POP3_BOB_OLDEST_DAYS * 86400 + 3600)) ] ||
		fail "bob's oldest is $age s, want about $POP3_BOB_OLDEST_DAYS days"
	expect_perf largest 865
	expect_status "oldest $POP3_BOB_OLDEST_DAYS d"
	lab_pop alice
	age=$(perf_value oldest)
	[ "$age" -ge "$POP3_ALICE_OLDEST_SECONDS" ] && [ "$age" -lt $((POP3_ALICE_OLDEST_SECONDS + 3600)) ] ||
		fail "alice's oldest is $age s, want about $POP3_ALICE_OLDEST_SECONDS"
	expect_perf largest 18833
	expect_status "oldest 3(\\.[0-9])? h"
	# An empty mailbox: nothing waits, the oldest age is 0 (never U on a
	# healthy run: Icinga 2 would warn about it).
	lab_pop empty
	expect_perf oldest 0
	expect_perf largest 0
	[[ $perf != *"=U"* ]] || fail "a U on an OK run: $perf"
}

test_pop3_lab_thresholds() {
	need_lab
	lab_pop alice -w 2 -c 5
	expect_rc 1
	expect_out '^\[WARNING\] 3 messages \(warning over 2\)$'
	expect_status '^POP3 WARNING - alice@127\.0\.0\.1:[0-9]+: 3 messages \(warning over 2\); 3 messages, '
	lab_pop alice -w 1 -c 2
	expect_rc 2
	expect_status '^POP3 CRITICAL - alice@127\.0\.0\.1:[0-9]+: 3 messages \(critical over 2\); '
	lab_pop alice --size-warning 10KB --size-critical 1MB
	expect_rc 1
	expect_out "^\\[WARNING\\] mailbox size 21 KB \\(${POP3_ALICE_BYTES} B; warning over 10 KB\\)$"
	expect_status '^POP3 WARNING - alice@127\.0\.0\.1:[0-9]+: mailbox size 21 KB \(warning over 10 KB\); '
	expect_status "size=${POP3_ALICE_BYTES}B;10240;1048576;0 "
	lab_pop alice --largest-critical 16KB
	expect_rc 2
	expect_out '^\[CRITICAL\] largest message 18 KB \(18833 B; critical over 16 KB\), message 1$'
	lab_pop bob --age-warning 2d --age-critical 30d
	expect_rc 1
	expect_out '^\[WARNING\] oldest message 21 d \(warning over 2 d\): .* UTC, from its Received header$'
	expect_status '^POP3 WARNING - bob@127\.0\.0\.1:[0-9]+: oldest message 21 d \(warning over 2 d\); 2 messages, '
	expect_status 'oldest=[0-9]+s;172800;2592000;0 '
	lab_pop bob --age-critical=2w
	expect_rc 3
	expect_status '^POP3 UNKNOWN - --age-critical: '
	lab_pop empty -c 0 --age-critical 1h --largest-critical 1
	expect_rc 0
}

# Without -U: check_pop's check (greeting, CAPA, STLS, QUIT), no login;
# called as check_pop, -w/-c are the response time as there.
test_pop3_lab_greeting_only_and_as_check_pop() {
	need_lab
	local dir
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" -v
	expect_rc 0
	expect_status '^POP3 OK - 127\.0\.0\.1:[0-9]+: greeting \+OK, [0-9]+ ms \| '
	expect_perf_labels connect greeting time
	expect_out '^\[OK\] greeting \+OK \(with an APOP timestamp\), CAPA answered, QUIT \+OK$'
	expect_out '^C: QUIT$'
	# No login of any kind, however the server invites it.
	if grep -qE '^C: (USER|PASS|APOP|AUTH|STAT)' <<<"$out"; then
		complain "a login or mailbox command went out without -U"; show_run; return 1
	fi
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" --starttls --ca-file "$LAB_CA" -D 30,7
	expect_rc 0
	expect_status '^POP3 OK - 127\.0\.0\.1:[0-9]+: greeting \+OK, STLS TLSv1\.[23], [0-9]+ ms \| '
	expect_perf_labels connect greeting tls time cert_days
	run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" --time-critical 1us
	expect_rc 2
	expect_status '^POP3 CRITICAL - 127\.0\.0\.1:[0-9]+: response time [0-9.]+ ms \(critical over 0\.001 ms\); greeting \+OK, TLSv1\.[23], '
	# The same letters under check_pop's name: the response time.
	dir=$(mktemp -d)
	ln -s "$POP" "$dir/check_pop"
	run "$dir/check_pop" -H "$POP3_HOST" -p "$POP3_PORT" -w 10 -c 20
	expect_rc 0
	expect_status ' time=[0-9.e-]+s;10;20;0( |$)'
	run "$dir/check_pop" -H "$POP3_HOST" -p "$POP3_PORT" -w 1us -c 20
	expect_rc 1
	expect_status '^POP3 WARNING - 127\.0\.0\.1:[0-9]+: response time [0-9.]+ ms \(warning over 0\.001 ms\); greeting \+OK, '
	run "$dir/check_pop" --help
	expect_out '^Called as check_pop \('
	expect_out '^    -w is --time-warning, -c is --time-critical\.$'
	rm -rf "$dir"
	# Under its own name -w is the number of messages: it needs a login.
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" -w 10
	expect_rc 3
	expect_status '^POP3 UNKNOWN - -w and -c are ranges on the number of messages: they need -U '
}

test_pop3_lab_wrong_password_critical() {
	need_lab
	run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" -U alice \
		--password-file "$LAB_PWFILE_WRONG" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_status '^POP3 CRITICAL - alice@127\.0\.0\.1:[0-9]+: authentication failed: PASS: -ERR \[AUTH\] Authentication failed'
	expect_pop_labels
	expect_perf messages U
	expect_perf auth U
}

test_pop3_lab_apop_and_sasl_plain() {
	need_lab
	[ "${POP3_APOP:-}" = yes ] || skip "the lab has no APOP"
	# APOP never sends the password: allowed without TLS.
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" -U bob --password-file "$LAB_PWFILE_BOB" --apop -v
	expect_rc 0
	expect_perf messages "$POP3_BOB_COUNT"
	expect_out '^C: APOP bob \*\*\*\*\*\*\*\*$'
	expect_no_out '^C: (USER|PASS)'
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" -U bob --password-file "$LAB_PWFILE_WRONG" --apop \
		-t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_status 'authentication failed: APOP: -ERR \[AUTH\]'
	lab_pop alice --sasl PLAIN -v
	expect_rc 0
	expect_perf messages "$POP3_ALICE_COUNT"
	expect_out '^C: AUTH PLAIN$'
	expect_out '^C: \*\*\*\*\*\*\*\*$'
	if [ "${LAB_IPV6:-}" != no ]; then
		run "$POP" -H "$POP3_HOST6" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" --sasl plain \
			-U empty --password-file "$LAB_PWFILE_EMPTY"
		expect_rc 0
		expect_status '^POP3 OK - empty@\[::1\]:'
		expect_perf messages 0
	fi
}

test_pop3_lab_transcript_masks_password_and_json() {
	need_lab
	local pw
	pw=$(head -n1 "$LAB_PWFILE_ALICE")
	[ ${#pw} -ge 4 ] || fail "lab password too short to search for"
	lab_pop alice -vvv
	expect_rc 0
	expect_out '^ *[0-9.]+ ms C: PASS \*\*\*\*\*\*\*\*$'
	expect_out '^ *[0-9.]+ ms -- TLS handshake: TLSv1'
	expect_out '^UIDL 1 [!-~]+$'
	expect_out '^seconds: connect '
	expect_out '^session ended in state done$'
	expect_out '^greeting holds an APOP timestamp; CAPA answered: .*SASL PLAIN LOGIN; 0 unknown lines$'
	expect_no_password "$pw"
	lab_pop alice --sasl plain -vvv --output=json
	expect_no_password "$pw"
	expect_no_password "$(printf '\0alice\0%s' "$pw" | base64)"
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
assert d["service"] == "POP3" and d["state"] == "OK" and d["exit_code"] == 0, d
m = {x["label"]: x for x in d["metrics"]}
assert [x["label"] for x in d["metrics"]] == ["messages", "size", "largest", "oldest",
        "connect", "greeting", "tls", "auth", "stat", "time", "cert_days"], d["metrics"]
assert m["messages"]["value"] == int(sys.argv[1]), m["messages"]
assert m["size"]["uom"] == "B" and m["oldest"]["uom"] == "s"
assert any(x["text"].endswith("C: AUTH PLAIN") for x in d["details"]), d["details"]
' "$POP3_ALICE_COUNT" <<<"$out" || fail "JSON output is not as expected"
	run env POPPW="$pw" "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" -U alice \
		--password-env POPPW -vvv
	expect_rc 0
	expect_no_password "$pw"
}

test_pop3_lab_tls_verification() {
	need_lab
	# The lab CA is not in the system store: verification fails.
	run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S -U alice --password-file "$LAB_PWFILE_ALICE"
	expect_rc 2
	expect_status '^POP3 CRITICAL - '
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" --starttls -U alice --password-file "$LAB_PWFILE_ALICE"
	expect_rc 2
	expect_status '^POP3 CRITICAL - .*STLS'
	run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --insecure -U alice --password-file "$LAB_PWFILE_ALICE"
	expect_rc 0
	expect_out '^\[OK\] certificate not verified'
	lab_pop alice -D 400,10
	expect_rc 1
	expect_out '^\[WARNING\] certificate CN=mail\.lab\.test expires .* days, warning under 400 days\)$'
	# the status line names it, and cert_days carries the thresholds
	expect_status '^POP3 WARNING - alice@127\.0\.0\.1:[0-9]+: certificate CN=mail\.lab\.test expires .*warning under 400 days\); 3 messages'
	expect_status 'cert_days=36[45]\.[0-9]+;400:;10:$'
	lab_pop alice -D 400,380
	expect_rc 2
	expect_status '^POP3 CRITICAL - .*critical under 380 days\)'
	# a plaintext port asked for implicit TLS: says which option fits
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" -S --ca-file "$LAB_CA" -U alice \
		--password-file "$LAB_PWFILE_ALICE" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_out '^\[OK\] the server speaks plaintext POP3 on this port: use --starttls \(or no TLS option\) instead of -S$'
	# and the other way round: no greeting on a POP3S port without -S
	run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" --starttls --ca-file "$LAB_CA" -U alice \
		--password-file "$LAB_PWFILE_ALICE" -t 2
	expect_rc 2
	expect_out '^\[OK\] no greeting: a POP3S server says nothing until TLS \(use -S if this port speaks implicit TLS\)$'
}

test_pop3_lab_plaintext_password_refused_unless_allowed() {
	need_lab
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" -U alice --password-file "$LAB_PWFILE_ALICE"
	expect_rc 3
	expect_status '^POP3 UNKNOWN - refusing to send the password without TLS'
	run "$POP" -H "$POP3_HOST" -p "$POP3_PORT" -U alice --password-file "$LAB_PWFILE_ALICE" \
		--allow-plaintext-auth
	expect_rc 0
	# no TLS asked for: no tls or cert_days label at all
	expect_pop_labels
	[[ $perf != *"tls="* && $perf != *"cert_days="* ]] || fail "TLS labels without TLS: $perf"
}

# Delivers a message with subject "probe $1" to alice through the lab
# Postfix and waits (LAB_WAIT_S at most) until POP3 counts it.
deliver_to_alice() {
	LAB_WAIT_S=$LAB_WAIT_S python3 -c '
import os, sys, ssl, smtplib, poplib, time
E = os.environ
token = sys.argv[1]
def count():
    p = poplib.POP3_SSL(E["POP3_HOST"], int(E["POP3S_PORT"]),
                        context=ssl.create_default_context(cafile=E["LAB_CA"]), timeout=10)
    p.user("alice"); p.pass_(open(E["LAB_PWFILE_ALICE"]).read().strip())
    n = p.stat()[0]; p.quit(); return n
before = count()
s = smtplib.SMTP(E["SMTP_HOST"], int(E["SMTP_PORT"]), timeout=10)
s.ehlo("client.lab.test")
s.sendmail("bob@lab.test", ["alice@lab.test"],
           "From: bob@lab.test\r\nTo: alice@lab.test\r\nSubject: probe %s\r\n"
           "Message-ID: <%s@client.lab.test>\r\n\r\nround trip\r\n" % (token, token))
s.quit()
end = time.monotonic() + float(E["LAB_WAIT_S"])
while time.monotonic() < end:
    if count() == before + 1:
        sys.exit(0)
    time.sleep(0.2)
sys.exit("the message did not arrive")
' "$1"
}

# Subjects of alice's messages, one a line.
alice_subjects() {
	python3 -c '
import os, ssl, poplib
E = os.environ
p = poplib.POP3_SSL(E["POP3_HOST"], int(E["POP3S_PORT"]),
                    context=ssl.create_default_context(cafile=E["LAB_CA"]), timeout=10)
p.user("alice"); p.pass_(open(E["LAB_PWFILE_ALICE"]).read().strip())
for i in range(1, p.stat()[0] + 1):
    for l in p.top(i, 0)[1]:
        if l.lower().startswith(b"subject:"):
            print(l[8:].strip().decode())
p.quit()
'
}

# A plaintext proxy to the lab POP3 port that resets both sides when the
# client sends QUIT: the session ends without QUIT, as a cut line would.
start_quit_cutter() {
	fake_init
	python3 -c '
import socket, sys, threading, os, struct
up_port, portfile = int(sys.argv[1]), sys.argv[2]
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
open(portfile + ".tmp", "w").write(str(ls.getsockname()[1])); os.rename(portfile + ".tmp", portfile)
ls.settimeout(20)
c, _ = ls.accept()
u = socket.create_connection(("127.0.0.1", up_port), timeout=20)
def down():
    try:
        while True:
            d = u.recv(65536)
            if not d: break
            c.sendall(d)
    except OSError: pass
threading.Thread(target=down, daemon=True).start()
buf = b""
while True:
    d = c.recv(65536)
    if not d: break
    buf += d
    if b"QUIT\r\n" in buf:
        for s in (u, c):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        break
    u.sendall(d)
' "$POP3_PORT" "$FAKE_TMP/cutter.port" >/dev/null 2>&1 &
	FAKE_PIDS+=($!)
	local i
	for ((i = 0; i < 250; i++)); do [ -s "$FAKE_TMP/cutter.port" ] && break; sleep 0.02; done
	CUT_PORT=$(cat "$FAKE_TMP/cutter.port")
}

test_pop3_lab_find_and_delete_round_trip() {
	need_lab
	local token="netcheck-rt-$$-$RANDOM" subjects
	deliver_to_alice "$token" || fail "could not deliver the probe"
	# Not asked to delete: found, nothing deleted.
	lab_pop alice --find-subject "$token" -v
	expect_rc 0
	expect_perf messages $((POP3_ALICE_COUNT + 1))
	expect_out "^\[OK\] found 1 message with '$token' in the subject \(newest: message 4, 'probe $token'\)$"
	expect_no_out '^C: (DELE|RETR)'
	# --delete-found, but the line is cut when QUIT is sent: the server
	# must not delete anything.
	start_quit_cutter
	run env PW="$(head -n1 "$LAB_PWFILE_ALICE")" "$POP" -H 127.0.0.1 -p "$CUT_PORT" -U alice \
		--password-env PW --allow-plaintext-auth --find-subject "$token" --delete-found -v
	expect_rc 2
	expect_out '^C: DELE 4$'
	expect_out 'server deletes nothing'
	alice_subjects | grep -qx "probe $token" || fail "the probe is gone after a cut session"
	# Now for real: exactly that message goes.
	lab_pop alice --find-subject "$token" --delete-found -v
	expect_rc 0
	expect_out "deleted$"
	expect_out '^C: DELE 4$'
	[ "$(grep -c '^C: DELE' <<<"$out")" = 1 ] || fail "more than one DELE"
	expect_no_out '^C: RETR'
	subjects=$(alice_subjects)
	! grep -q "$token" <<<"$subjects" || fail "the probe is still there"
	[ "$(wc -l <<<"$subjects")" = "$POP3_ALICE_COUNT" ] || fail "alice has: $subjects"
	lab_pop alice
	expect_perf messages "$POP3_ALICE_COUNT"
	expect_perf size "$POP3_ALICE_BYTES"
	# Not there any more: CRITICAL, and nothing deleted.
	lab_pop alice --find-subject "$token" --delete-found -v
	expect_rc 2
	expect_status "no message with '$token' in the subject"
	expect_no_out '^C: DELE'
}

# ---------------------------------------------------------------- fakes

# pop_fake: starts tcpfake with the scenario on stdin.
pop_fake() {
	fake_init
	local sc=$FAKE_TMP/sc.$RANDOM
	cat >"$sc"
	fake_start tcpfake --scenario "$sc"
}

fake_pop() { # fake_pop ARGS...: the plugin against the fake, plaintext USER/PASS
	run env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
		--allow-plaintext-auth "$@"
}

# timed_fake_pop ARGS...: fake_pop, with its wall time in $elapsed_ms.
timed_fake_pop() {
	local t0=${EPOCHREALTIME/./}
	fake_pop "$@"
	elapsed_ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
}

client_lines() { sed -n 's/^C: //p' "$FAKE_LOG"; }

LOGIN='send +OK fake POP3 <1.2@fake.test>\r\n
expect ^CAPA$
send +OK\r\nUSER\r\nX-FUTURE-EXTENSION 1 2 3\r\nTOP\r\nIMPLEMENTATION fake\r\n.\r\n
expect ^USER alice$
send +OK\r\n
expect ^PASS fakepw$
send +OK logged in\r\n'

# one_message_fake HEADERS: a mailbox of one 500-byte message whose TOP 1 0
# answers HEADERS (tcpfake TEXT, lines joined by \r\n) and an empty line.
one_message_fake() {
	pop_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 1 500\r\n
expect ^LIST$
send +OK\r\n1 500\r\n.\r\n
expect ^TOP 1 0$
send +OK\r\n$1\r\n\r\n.\r\n
expect ^QUIT$
send +OK bye\r\n
EOF
}

test_pop3_fake_no_greeting_times_out() {
	pop_fake <<EOF
sleep $HANG_S
close
EOF
	timed_fake_pop -t 1.5
	expect_rc 2
	expect_status '^POP3 CRITICAL - alice@127\.0\.0\.1:[0-9]+: greeting: timed out'
	expect_pop_labels
	expect_elapsed_below $((1500 + SLACK_MS))
	# -t SECONDS:STATE chooses the state of a timeout.
	pop_fake <<EOF
sleep $HANG_S
close
EOF
	fake_pop -t 0.5:warning
	expect_rc 1
	expect_status '^POP3 WARNING - .*greeting: timed out'
}

test_pop3_fake_err_greeting() {
	pop_fake <<'EOF'
send -ERR [SYS/TEMP] too many connections\r\n
close
EOF
	fake_pop
	expect_rc 2
	expect_status 'temporary server failure: greeting: -ERR \[SYS/TEMP\] too many connections'
	fake_wait
	[ -z "$(client_lines)" ] || fail "the client sent: $(client_lines)"
}

test_pop3_fake_garbage_greeting() {
	pop_fake <<'EOF'
sendraw 16 03 01 00 ff 0a
close
EOF
	fake_pop
	expect_rc 2
	expect_status "greeting: not a POP3 reply: '\?\?\?\?\?'"
	pop_fake <<'EOF'
send 220 smtp.example ESMTP\r\n
close
EOF
	fake_pop
	expect_rc 2
	expect_status "greeting: not a POP3 reply: '220 smtp\.example ESMTP'"
}

test_pop3_fake_response_codes_on_login() {
	local spec c state text
	for spec in 'IN-USE:1:mailbox busy' 'LOGIN-DELAY:1:mailbox busy' \
		    'SYS/TEMP:2:temporary server failure' 'AUTH:2:authentication failed' \
		    ':2:login refused'; do
		IFS=: read -r c state text <<<"$spec"
		pop_fake <<EOF
send +OK hi\r\n
expect ^CAPA\$
send -ERR unknown command\r\n
expect ^USER alice\$
send +OK\r\n
expect ^PASS
send -ERR ${c:+[$c] }no way\r\n
close
EOF
		fake_pop
		expect_rc "$state"
		expect_status "^POP3 [A-Z]+ - alice@127\.0\.0\.1:[0-9]+: $text: PASS: -ERR ${c:+\[$c\] }no way"
		fake_wait
		[ "$(client_lines | tr '\n' ' ')" = "CAPA USER alice PASS fakepw " ] || fail "sent: $(client_lines)"
	done
}

test_pop3_fake_stls_or_sasl_plain_not_offered() {
	pop_fake <<'EOF'
send +OK hi\r\n
expect ^CAPA$
send +OK\r\nUSER\r\nX-UNKNOWN-CAPA 1 2 3\r\nSASL LOGIN\r\n.\r\n
close
EOF
	fake_pop --starttls
	expect_rc 2
	expect_status 'CAPA: the server does not offer STLS'
	pop_fake <<'EOF'
send +OK hi\r\n
expect ^CAPA$
send +OK\r\nUSER\r\nX-UNKNOWN-CAPA 1 2 3\r\nSASL LOGIN CRAM-MD5\r\n.\r\n
close
EOF
	fake_pop --sasl PLAIN
	expect_rc 2
	expect_status 'does not offer SASL PLAIN \(SASL LOGIN CRAM-MD5\)'
}

test_pop3_fake_sasl_plain_dialogue() {
	pop_fake <<'EOF'
send +OK hi\r\n
expect ^CAPA$
send +OK\r\nSASL PLAIN\r\n.\r\n
expect ^AUTH PLAIN$
send + \r\n
expect ^AGFsaWNlAGZha2Vwdw==$
send +OK welcome\r\n
expect ^STAT$
send +OK 0 0\r\n
expect ^QUIT$
send +OK bye\r\n
EOF
	fake_pop --sasl PLAIN -v
	expect_rc 0
	expect_out '^C: \*\*\*\*\*\*\*\*$'
	expect_no_out 'AGFsaWNlAGZha2Vwdw'
	fake_wait
	[ "$FAKE_RC" = 0 ] || fail "fake: $(cat "$FAKE_OUT")"
}

test_pop3_fake_stuffed_lines_and_bad_date() {
	one_message_fake "Date: not a date at all\r\nReceived: from x by y; Sun, 01 Nov 2026 06:20:45 +0000\r\n..\r\n...dots\r\nSubject: after the dots"
	fake_pop -v
	expect_rc 0
	# The age is when the message arrived (its topmost Received); a Date
	# that does not parse does not matter then.
	expect_out '^\[OK\] oldest message [0-9]+ d: 2026-11-01 06:20:45 UTC, from its Received header$'
	expect_no_out 'does not parse'
	expect_out '^S: \.\.\.dots$'
	[ "$(perf_value oldest)" != U ] || fail "no age from Received"
	# Neither parses: not fatal, the age is U; WARNING when an age threshold asks.
	local t
	for t in "" "--age-warning 1d"; do
		one_message_fake "Date: 32 Foo 2026\r\nSubject: x"
		fake_pop $t
		expect_rc "$([ -z "$t" ] && echo 0 || echo 1)"
		expect_out "^\\[(OK|WARNING)\\] message 1 has no Received; the age is unknown$"
		expect_perf oldest U
		expect_perf messages 1
	done
}

# The age of a message is when it arrived: the topmost Received header (the
# last server's clock), not the Date header (the sender's).  A message that
# sat for 20 days while its Date says an hour ago is 20 days old; without a
# Received header the Date is taken, and the long output says which.
test_pop3_fake_age_from_received_not_date() {
	local hour_ago twenty_days_ago two_days_ago
	hour_ago=$(LC_ALL=C date -u -R -d '1 hour ago')
	twenty_days_ago=$(LC_ALL=C date -u -R -d '20 days ago')
	two_days_ago=$(LC_ALL=C date -u -R -d '2 days ago')
	one_message_fake "Received: from relay by mail; $twenty_days_ago\r\nReceived: from client by relay; $hour_ago\r\nDate: $hour_ago"
	fake_pop --age-critical 2d
	expect_rc 2
	expect_status '^POP3 CRITICAL - alice@127\.0\.0\.1:[0-9]+: oldest message 20 d \(critical over 2 d\); '
	expect_out 'from its Received header$'
	one_message_fake "Date: $two_days_ago"
	fake_pop --age-warning 1d
	expect_rc 1
	expect_out '^\[WARNING\] oldest message 2 d \(warning over 24 h\): .* UTC, from its Date header$'
	expect_out '^\[OK\] message 1 has no Received; the age is taken from Date$'
}

test_pop3_fake_find_through_stuffed_lines_newest_first() {
	pop_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 3 300\r\n
expect ^LIST$
send +OK\r\n1 100\r\n2 100\r\n3 100\r\n.\r\n
expect ^TOP 1 0$
send +OK\r\nDate: Sun, 01 Nov 2026 06:20:45 +0000\r\n\r\n.\r\n
expect ^TOP 3 0$
send +OK\r\nSubject: other\r\n\r\n.\r\n
expect ^TOP 2 0$
send +OK\r\nX-A: b\r\n..\r\n.. .\r\nSubject: the TOKEN-7 probe\r\n\r\n.\r\n
expect ^TOP 1 0$
send +OK\r\nSubject: older\r\n\r\n.\r\n
expect ^QUIT$
send +OK bye\r\n
EOF
	fake_pop --find-subject token-7
	expect_rc 0
	expect_out "^\[OK\] found 1 message with 'token-7' in the subject \(newest: message 2, 'the TOKEN-7 probe'\)$"
	fake_wait
	[ "$FAKE_RC" = 0 ] || fail "fake: $(cat "$FAKE_OUT")"
}

test_pop3_fake_list_of_100000_entries() {
	pop_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 100001 12000137\r\n
expect ^LIST$
send +OK 100001 messages\r\n
repeat 100000
send \${i} 120\r\n
end
send 100001 137\r\n.\r\n
expect ^TOP 1 0$
send +OK\r\nDate: Sun, 01 Nov 2026 06:20:45 +0000\r\n\r\n.\r\n
expect ^QUIT$
send +OK bye\r\n
EOF
	# The fake takes some 4 s to send it (8 s on a busy machine).
	fake_pop -v -t 60
	expect_rc 0
	expect_perf messages 100001
	expect_perf largest 137
	expect_out '^-- 99982 more lines not shown$'
	[ "$(grep -c '^S: [0-9]* 120$' <<<"$out")" -le 20 ] || fail "the whole listing is in the output"
}

test_pop3_fake_disconnect_in_list_and_unterminated_multiline() {
	pop_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 3 300\r\n
expect ^LIST$
send +OK\r\n1 100\r\n2 10
close
EOF
	fake_pop
	expect_rc 2
	expect_status 'LIST: connection closed by the server in the middle of a line'
	expect_perf messages 3
	expect_perf largest U
	# A multi-line response without its final ".": the server stops
	# talking; the deadline ends the wait.
	pop_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 3 300\r\n
expect ^LIST$
send +OK\r\n1 100\r\n2 100\r\n3 100\r\n
sleep $HANG_S
EOF
	timed_fake_pop -t 1.5
	expect_rc 2
	expect_status 'LIST: timed out waiting for the server'
	expect_elapsed_below $((1500 + SLACK_MS))
}

# A byte every 0.2 s, a tenth of -t 2 (a wait that started over at every
# read would never end), for 9 s: still dripping at the deadline.
test_pop3_fake_drip_never_hangs_past_timeout() {
	pop_fake <<'EOF'
drip 0.2 +OK a greeting that drips one byte at a time\r\n
EOF
	timed_fake_pop -t 2
	expect_rc 2
	expect_status 'greeting: timed out'
	expect_elapsed_below $((2000 + SLACK_MS))
}

test_pop3_fake_delete_found_cut_before_quit() {
	# Cut while looking: no DELE (nor QUIT) is ever sent.
	pop_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 2 200\r\n
expect ^LIST$
send +OK\r\n1 100\r\n2 100\r\n.\r\n
expect ^TOP 1 0$
send +OK\r\nDate: Sun, 01 Nov 2026 06:20:45 +0000\r\n\r\n.\r\n
expect ^TOP 2 0$
send +OK\r\nSubject: TOKEN\r\n
reset
EOF
	fake_pop --find-subject TOKEN --delete-found
	expect_rc 2
	fake_wait
	! client_lines | grep -q DELE || fail "DELE sent: $(client_lines)"
	! client_lines | grep -q QUIT || fail "QUIT sent after a failure: $(client_lines)"
	# DELE accepted, then the line is cut instead of +OK to QUIT.
	pop_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 2 200\r\n
expect ^LIST$
send +OK\r\n1 100\r\n2 100\r\n.\r\n
expect ^TOP 1 0$
send +OK\r\nDate: Sun, 01 Nov 2026 06:20:45 +0000\r\n\r\n.\r\n
expect ^TOP 2 0$
send +OK\r\nSubject: TOKEN\r\n\r\n.\r\n
expect ^TOP 1 0$
send +OK\r\nSubject: not it\r\n\r\n.\r\n
expect ^DELE 2$
send +OK marked\r\n
expect ^QUIT$
reset
EOF
	fake_pop --find-subject TOKEN --delete-found
	expect_rc 2
	expect_status 'QUIT: connection (reset|closed) by the server'
	expect_out 'did not end with a successful QUIT, so the server deletes nothing'
	expect_no_out 'deleted$'
}

# ---------------------------------------------------------------- arguments

test_pop3_bad_arguments_unknown() {
	local args
	while IFS= read -r args; do
		eval "run \"\$POP\" $args"
		expect_rc 3
		expect_status '^POP3 UNKNOWN - '
	done <<'EOF'
-U a -P x -S
-H 127.0.0.1 -P x -S
-H 127.0.0.1 -U a -S
-H 127.0.0.1 -U a -P x --password-env X -S
-H 127.0.0.1 -U a -P x -S --starttls
-H 127.0.0.1 -U a -P x -S --sasl CRAM-MD5
-H 127.0.0.1 -U a -P x -S --sasl PLAIN --apop
-H 127.0.0.1 -U a -P x -S --size-warning 10XB
-H 127.0.0.1 -U a -P x -S --age-warning 6x
-H 127.0.0.1 -U a -P x -S -w 1x
-H 127.0.0.1 -U a -P x -S -D 7,30
-H 127.0.0.1 -U a -P x -D 30
-H 127.0.0.1 -U a -P x -S --delete-found
-H 127.0.0.1 -U a -P x -S --find-limit -1
-H 127.0.0.1 -U a -P x
-H 127.0.0.1 -U a --password-file /nonexistent -S
-H 127.0.0.1 -U a --password-env NETCHECK_UNSET_VAR -S
-H 127.0.0.1 -U a -P x -S -p 0
-H 127.0.0.1 -U a -P x -S --bogus
-H 127.0.0.1 -S --size-warning 1
-H 127.0.0.1 -S --find-subject x
-H 127.0.0.1 -S --apop
-H 127.0.0.1 -S -c 1
-H 127.0.0.1 -S --time-warning 1x
EOF
}

test_pop3_help_names_every_option_with_default() {
	run "$POP" --help
	expect_rc 3
	local o
	for o in hostname port ipv4 ipv6 timeout warning critical verbose output tls starttls \
		 certificate ca-file insecure user password-file password-env password apop sasl \
		 allow-plaintext-auth size-warning size-critical largest-warning largest-critical \
		 age-warning age-critical find-subject find-limit delete-found; do
		grep -q -- "--$o" <<<"$out" || fail "--help does not name --$o"
	done
	expect_no_out 'NOT IMPLEMENTED'
	expect_out 'RETR is never sent'
	[ "$(grep -c '(default: ' <<<"$out")" -ge 30 ] || fail "options without a default in --help"
}

test_pop3_fake_stls_response_injection_discarded() {
	fake_init
	fake_cert "$FAKE_TMP" || skip "cannot make a certificate"
	pop_fake <<EOF
send +OK hi\r\n
expect ^CAPA$
send +OK\r\nSTLS\r\nUSER\r\n.\r\n
expect ^STLS$
send-inject +OK begin TLS\r\n+OK injected\r\n
starttls $FAKE_TMP/cert.pem $FAKE_TMP/key.pem
expect ^CAPA$
send +OK\r\nUSER\r\n.\r\n
expect ^USER alice$
send +OK\r\n
expect ^PASS fakepw$
send +OK logged in\r\n
expect ^STAT$
send +OK 0 0\r\n
expect ^QUIT$
send +OK bye\r\n
EOF
	run env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW --starttls \
		--ca-file "$FAKE_TMP/cert.pem" -v
	# CRITICAL, as check_smtp_dialogue has it after STARTTLS.
	expect_rc 2
	expect_out '^\[CRITICAL\] response injection: the server sent 14 bytes of plaintext after its go-ahead to STLS'
	expect_status '^POP3 CRITICAL - alice@127\.0\.0\.1:[0-9]+: response injection: '
	expect_out '^-- discarded 14 bytes of plaintext'
	expect_status 'STLS TLSv1\.[23]'
	fake_wait
	[ "$FAKE_RC" = 0 ] || fail "fake: $(cat "$FAKE_OUT")"
}

test_pop3_default_ports_and_refused_connection() {
	# Nothing listens on this machine's loopback 110 or 995 (if something
	# does, the test says so and skips).
	if (exec 3<>/dev/tcp/127.0.0.1/995) 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/110) 2>/dev/null; then
		skip "something listens on 127.0.0.1:110 or :995"
	fi
	run "$POP" -H 127.0.0.1 -U a -P x -S -t 2
	expect_rc 2
	expect_status '^POP3 CRITICAL - a@127\.0\.0\.1:995: connect: cannot connect: 127\.0\.0\.1:995: connection refused'
	expect_pop_labels
	expect_perf connect U
	run "$POP" -H 127.0.0.1 -U a -P x -S -p 110 -t 2
	expect_status '^POP3 CRITICAL - a@127\.0\.0\.1:110: '
	run "$POP" -H 127.0.0.1 -U a -P x --starttls -t 2
	expect_status '^POP3 CRITICAL - a@127\.0\.0\.1:110: '
}

test_pop3_fake_pipelining_when_offered() {
	# The fake reads each batch whole before it answers: a client that
	# waited for every reply would stall here until -t.
	pop_fake <<'EOF'
send +OK hi\r\n
expect ^CAPA$
send +OK\r\nUSER\r\nPIPELINING\r\n.\r\n
expect ^USER alice$
expect ^PASS fakepw$
send +OK\r\n+OK logged in\r\n
expect ^STAT$
expect ^LIST$
expect ^TOP 1 0$
expect ^QUIT$
send +OK 1 10\r\n+OK\r\n1 10\r\n.\r\n+OK\r\nDate: Sun, 01 Nov 2026 06:20:45 +0000\r\n\r\n.\r\n+OK bye\r\n
EOF
	fake_pop -v -t 3
	expect_rc 0
	expect_perf messages 1
	expect_perf largest 10
	[ "$(sed -n 's/^C: //p' <<<"$out" | tr '\n' ' ')" = "CAPA USER alice PASS ******** STAT LIST TOP 1 0 QUIT " ] ||
		fail "transcript: $(grep '^C: ' <<<"$out")"
	fake_wait
	[ "$FAKE_RC" = 0 ] || fail "fake: $(cat "$FAKE_OUT")"
}
