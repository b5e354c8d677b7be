# What a hostile or broken server can do to a run, and what it must not
# achieve: hold the run past -t while it keeps sending, make it keep an
# unbounded amount, smuggle a command in through a password, or hang it on a
# FIFO given as a file.  Each case failed before its fix (issue 10, section 8).
# Times: the runs here take -t 2; every assertion allows 4 s more than that,
# hundreds of times what a run needs past its deadline, while the faults
# they catch ran 30 s (the fake's lifetime) or forever.

. "$TOP/tests/fake/lib.sh"
. "$TOP/tests/integration/fault.sh"

T=2          # -t of the runs
LATE_MAX=6   # seconds a run of -t $T may take at most, load included

expect_within() {
	python3 -c "import sys; sys.exit(0 if $secs < $LATE_MAX else 1)" && return 0
	complain "the run took $secs s with -t $T (at most $LATE_MAX s allowed)"; show_run; return 1
}

# ---- a server that keeps sending ----------------------------------------

# STAT claims billions of messages, then LIST never ends: the reads go on
# without pause, and the deadline must still end the run.
test_endless_list_ends_at_the_deadline() {
	need_cmd python3
	endless_listing 4000000000
	measured env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
		--allow-plaintext-auth -t $T
	expect_rc 2
	expect_status "^POP3 CRITICAL - .*$ENDLESS"
	expect_within
	expect_small
}

# The same over implicit TLS: the TLS read checks the deadline too.
test_endless_list_over_tls_ends_at_the_deadline() {
	need_cmd python3
	need_cmd openssl
	fake_init
	fake_cert "$FAKE_TMP"
	endless_listing 4000000000 "starttls $FAKE_TMP/cert.pem $FAKE_TMP/key.pem"
	measured env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
		-S --insecure -t $T
	expect_rc 2
	expect_status "^POP3 CRITICAL - .*$ENDLESS"
	expect_within
	expect_small
}

# A listing longer than the count STAT gave is a protocol error at once.
test_listing_longer_than_stat_count() {
	need_cmd python3
	endless_listing 3
	measured env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
		--allow-plaintext-auth -t $T
	expect_rc 2
	expect_status 'LIST: the reply has more than 3 lines \(STAT counted fewer messages\)'
	python3 -c "import sys; sys.exit(0 if $secs < $T else 1)" ||
		fail "the cap waited for the deadline: $secs s"
}

# An endless CAPA listing is cut at its cap (100 lines).
test_endless_capa_is_cut() {
	hostile_fake <<'EOF'
send +OK fake POP3\r\n
expect ^CAPA$
send +OK\r\n
repeat 100000000
send X-NOISE\r\n
end
EOF
	measured env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
		--allow-plaintext-auth -t $T
	expect_rc 2
	expect_status 'CAPA: the reply has more than 100 lines'
	expect_within
}

# An SMTP server that never ends a multi-line reply: the reply cap (100
# lines) or the deadline, whichever comes first, ends it.
test_endless_smtp_reply_ends() {
	hostile_fake <<'EOF'
send 220-fake.test ESMTP\r\n
repeat 100000000
send 220-more and more\r\n
end
EOF
	measured "$SMTP" -H 127.0.0.1 -p "$FAKE_PORT" -t $T
	expect_rc 2
	expect_status 'a reply of more than 100 lines'
	expect_within
	expect_small
}

# ---- what a run keeps ----------------------------------------------------

# --find-subject reads the headers of every message: 80 of them with 20
# header lines of 8000 control bytes (written \xHH, four times as long, in a
# transcript).  The whole run's transcript has one cap, so memory stays
# small even with -v and --find-limit 0 (it reached 415 MB before).
find_fake() {
	local junk
	junk=$(python3 -c 'print("X-Junk: " + "\\x01" * 8000, end="")')
	hostile_fake <<EOF
$LOGIN
expect ^STAT$
send +OK 80 199999\r\n
expect ^LIST$
send +OK\r\n
repeat 80
send \${i} 2500\r\n
end
send .\r\n
expect ^TOP 1 0$
send +OK\r\nDate: Sun, 01 Nov 2026 06:20:45 +0000\r\n\r\n.\r\n
repeat 80
expect ^TOP [0-9]+ 0$
send +OK\r\nSubject: not it\r\n
repeat 20
send $junk\r\n
end
send \r\n.\r\n
end
expect ^QUIT$
send +OK bye\r\n
EOF
}

test_find_subject_memory_stays_small() {
	need_cmd python3
	local args
	for args in "-v" "--output=json" "-vv --output=json"; do
		find_fake
		# shellcheck disable=SC2086 # args is a list of options
		measured env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
			--allow-plaintext-auth --find-subject probe --find-limit 0 -t 30 $args
		expect_rc 2
		[[ $args == *json* ]] || expect_status "no message with 'probe' in the subject"
		expect_small
		[ "${#out}" -lt $((2 * 1024 * 1024)) ] || fail "${#out} bytes of output with $args"
		fake_wait "$FAKE_PID" 10
	done
	# Without -v no transcript is kept, and none is printed, JSON or not.
	find_fake
	measured env PW=fakepw "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
		--allow-plaintext-auth --find-subject probe --find-limit 0 -t 30 --output=json
	[[ $out != *'X-Junk'* ]] || fail "the transcript is in the JSON output without -v"
	[ "${#out}" -lt 4096 ] || fail "${#out} bytes of JSON without -v"
}

# ---- a password that would be a second command ---------------------------

# With PIPELINING, USER and PASS go out in one write; a CR LF in the
# password must not reach the server as a command of its own (DELE 1 did).
test_password_with_crlf_never_reaches_the_server() {
	local pw
	for pw in $'sec\r\nDELE 1' $'sec\nDELE 1' $'sec\rDELE 1'; do
		hostile_fake <<'EOF'
send +OK fake POP3\r\n
expect ^CAPA$
send +OK\r\nUSER\r\nPIPELINING\r\n.\r\n
wait-close
EOF
		run env PW="$pw" "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-env PW \
			--allow-plaintext-auth -t $T
		expect_rc 3
		expect_status '^POP3 UNKNOWN - the password in the environment variable PW holds a CR or LF'
		fake_wait "$FAKE_PID" 10
		! grep -q 'DELE' "$FAKE_LOG" || fail "the server received: $(grep '^C: ' "$FAKE_LOG")"
		! grep -q '^C: ' "$FAKE_LOG" || fail "the client talked: $(grep '^C: ' "$FAKE_LOG")"
	done
	# From a file, a CR inside the first line is refused the same way.
	fake_init
	printf 'sec\rDELE 1\n' >"$FAKE_TMP/pw"
	run "$SMTP" -H 127.0.0.1 -p 9 -S -U alice --password-file "$FAKE_TMP/pw" -t $T
	expect_rc 3
	expect_status "^SMTP UNKNOWN - the password in '$FAKE_TMP/pw' holds a CR or LF"
}

# ---- a FIFO where a file should be ---------------------------------------

# Opening a FIFO waits for a writer: forever, whatever -t says.  Both the
# password file and the CA file are refused at once instead.
test_fifo_as_password_or_ca_file_is_refused() {
	fake_init
	mkfifo "$FAKE_TMP/fifo"
	measured "$POP" -H 127.0.0.1 -p 9 -U alice --password-file "$FAKE_TMP/fifo" -S -t $T
	expect_rc 3
	expect_status "the password file '$FAKE_TMP/fifo' is not a regular file"
	expect_within
	hostile_fake <<'EOF'
send 220 fake.test ESMTP\r\n
expect ^EHLO
send 250-fake.test\r\n250 STARTTLS\r\n
expect ^STARTTLS$
send 220 go ahead\r\n
wait-close
EOF
	measured "$SMTP" -H 127.0.0.1 -p "$FAKE_PORT" -S --ca-file "$FAKE_TMP/fifo" -t $T
	expect_rc 3
	expect_status "cannot read CA file '$FAKE_TMP/fifo': not a regular file"
	expect_within
}

# ---- names ------------------------------------------------------------------

# "mail.lab.test." is fully qualified: SNI and the certificate's name carry
# no final dot, so the lab certificate (DNS:mail.lab.test) verifies.  (The
# name is looked up in the lab DNS only.)
test_trailing_dot_host_verifies() {
	need_lab
	local dns="$DNS_SERVER:$DNS_PORT"
	run "$SMTP" -H "$SMTP_NAME." --dns-server "$dns" -4 -p "$SMTP_PORT" -S --ca-file "$LAB_CA" -t 10
	expect_rc 0
	expect_status "^SMTP OK - $SMTP_NAME\\. \\[127\\.0\\.0\\.1\\]:[0-9]+ ESMTP, STARTTLS TLSv1"
	run "$POP" -H "$SMTP_NAME." --dns-server "$dns" -4 -p "$POP3S_PORT" -S --ca-file "$LAB_CA" \
		-U alice --password-file "$LAB_PWFILE_ALICE" -t 10
	expect_rc 0
}
