# Secrets and privilege (issue 14): what a user (or another user of the
# monitoring host) could see of a password, and what the ICMP plugins hold
# once their sockets are open.
#   - the password never in stdout or stderr, at -v, -vv, -vvv, classic or
#     JSON, for every way of logging in (lab Postfix and Dovecot);
#   - never in /proc/PID/cmdline when it comes from --password-file or
#     --password-env, and blanked there from -P before the plugin connects;
#   - nowhere in the plugin's writable memory (nor its base64), read through
#     /proc/PID/maps and /proc/PID/mem while the plugin waits after the
#     server accepted the login (a fake that then stays silent);
#   - a password with CR or LF refused, from every source;
#   - no credentials over plaintext unless --allow-plaintext-auth, and none
#     to a server whose certificate does not verify (verification is on by
#     default);
#   - check_icmp_rtt and check_hops, started as root or with cap_net_raw,
#     hold no capability and no root id while they wait for replies, read
#     from /proc/PID/status by the test.
# Other files hold more of the same: t_smtp_dialogue.sh
# (test_lab_credentials_never_in_any_output, -P blanked), t_pop3_mailbox.sh
# (masked transcript, plaintext refused), t_hostile.sh (CR LF never reaches
# the server), t_icmp_rtt.sh (-vvv's own report of its ids).
#
# Time: the plugins run with -t 20 against fakes that stay silent for
# HANG_S (30 s); the test looks at them as soon as the fake logged that they
# got where the test wants them (milliseconds; waited for REACH_S, 10 s),
# then kills them.

. "$TOP/tests/fake/lib.sh"

MEMSCAN=$TOP/tests/integration/memscan.py
REACH_S=10
BG_PID=

hexof() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# A password of this run: 20 characters no other text here holds.
new_password() { printf 'Pw%sq' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"; }

secrets_init() {
	need_root
	need_cmd python3
	need_cmd openssl
	fake_init
	trap 'secrets_cleanup' EXIT
	[ -f "$FAKE_TMP/cert.pem" ] || fake_cert "$FAKE_TMP" || fail "openssl could not make a certificate"
}

secrets_cleanup() {
	if [ -n "$BG_PID" ]; then
		kill "$BG_PID" 2>/dev/null || true
		wait "$BG_PID" 2>/dev/null || true
	fi
	fake_cleanup || true
}

# tls_fake <SCENARIO: tcpfake speaking implicit TLS with the throwaway
# certificate (self-signed: the plugins need --insecure to talk to it).
tls_fake() {
	local sc=$FAKE_TMP/sc.${#FAKE_PIDS[@]}
	{ printf 'starttls %s %s\n' "$FAKE_TMP/cert.pem" "$FAKE_TMP/key.pem"; cat; } >"$sc"
	fake_start tcpfake --scenario "$sc"
}

# bg CMD...: starts CMD in the background (BG_PID; killed when the test
# ends); its stdout and stderr go to $BG_OUT ($FAKE_TMP/bg.out).
bg() {
	BG_OUT=${BG_OUT:-$FAKE_TMP/bg.out}
	"$@" >"$BG_OUT" 2>&1 &
	BG_PID=$!
}

# bg_stop: ends the background plugin, output kept.
bg_stop() {
	kill "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
	BG_PID=
}

# wait_fake_log RE: until the fake's log has a line matching RE (REACH_S).
wait_fake_log() {
	local i
	for ((i = 0; i < REACH_S * 50; i++)); do
		grep -qE -- "$1" "$FAKE_LOG" && return 0
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.02
	done
	complain "the fake's log has no line /$1/ (plugin gone: $(kill -0 "$BG_PID" 2>/dev/null && echo no || echo yes))"
	sed 's/^/      fake log: /' "$FAKE_LOG" >&2
	sed 's/^/      plugin: /' "$BG_OUT" >&2
	return 1
}

# expect_no_secret_in_memory [--env] NAME=TEXT...: none of the texts in the
# writable memory of $BG_PID, nor in its command line or environment.
# --env (the password came from SECRET_PW): in the sanitized build, the
# sanitizer runtime's own copy of the environment (SECRET_PW=..., read at
# start, outside the stack) is not the plugin's to wipe, and is let be.
expect_no_secret_in_memory() {
	local a args=() rep
	if [ "$1" = --env ]; then
		shift
		[ "${NETCHECK_SANITIZE:-}" != 1 ] || args+=(--except-after SECRET_PW=)
	fi
	for a in "$@"; do args+=("${a%%=*}=$(hexof "${a#*=}")"); done
	rep=$(python3 "$MEMSCAN" "$BG_PID" "${args[@]}") || {
		complain "memscan of the plugin (pid $BG_PID) found a secret or could not read:"
		printf '      %s\n' "${rep//$'\n'/$'\n'      }" >&2
		return 1
	}
	for a in "$@"; do
		! tr '\0' '\n' <"/proc/$BG_PID/cmdline" | grep -qF -- "${a#*=}" ||
			fail "${a%%=*} in /proc/$BG_PID/cmdline"
		! tr '\0' '\n' <"/proc/$BG_PID/environ" | grep -qF -- "${a#*=}" ||
			fail "${a%%=*} in /proc/$BG_PID/environ"
	done
}

# exec_with SOURCE PW CMD...: execs CMD (so that $BG_PID is the plugin)
# with the password from SOURCE (file, env or arg) given the way a user
# would give it.  For bg only.
exec_with() {
	local src=$1 pw=$2; shift 2
	case $src in
	file) printf '%s\n' "$pw" >"$FAKE_TMP/pw"; chmod 600 "$FAKE_TMP/pw"
	      exec "$@" --password-file "$FAKE_TMP/pw" ;;
	env)  SECRET_PW=$pw exec "$@" --password-env SECRET_PW ;;
	arg)  exec "$@" -P "$pw" ;;
	esac
}

# ---- output --------------------------------------------------------------

# expect_not_printed TEXT...: none of the texts in stdout or stderr.
expect_not_printed() {
	local t
	for t in "$@"; do
		if grep -qF -- "$t" <<<"$out"$'\n'"$err"; then
			complain "a secret ('$t') is in the output of: ${RUN_ARGS[*]}"; show_run; return 1
		fi
	done
}

test_password_never_printed_at_any_verbosity_or_format_smtp() {
	need_lab
	local pw plain login mech v f
	pw=$(head -n 1 "$LAB_PWFILE_ALICE")
	[ ${#pw} -ge 4 ] || fail "lab password too short to search for"
	plain=$(printf '\0alice\0%s' "$pw" | base64 -w0)
	login=$(printf '%s' "$pw" | base64 -w0)
	for mech in PLAIN LOGIN; do
		for v in -v -vv -vvv; do
			for f in classic json; do
				run "$SMTP" -H "$SMTP_HOST" -p "$SMTP_PORT" -S --ca-file "$LAB_CA" \
					-t "$LAB_TIMEOUT_S" -U alice --password-file "$LAB_PWFILE_ALICE" \
					-A "$mech" "$v" --output="$f"
				expect_rc 0
				[ "$f" = json ] || expect_out "^ *([0-9.]+ ms )?C: (AUTH PLAIN )?\*{8}$"
				expect_not_printed "$pw" "$plain" "$login"
			done
		done
	done
}

test_password_never_printed_at_any_verbosity_or_format_pop3() {
	need_lab
	local pw plain auth v f
	pw=$(head -n 1 "$LAB_PWFILE_ALICE")
	[ ${#pw} -ge 4 ] || fail "lab password too short to search for"
	plain=$(printf '\0alice\0%s' "$pw" | base64 -w0)
	for auth in user sasl apop; do
		local a=()
		case $auth in sasl) a=(--sasl plain) ;; apop) a=(--apop) ;; esac
		for v in -v -vv -vvv; do
			for f in classic json; do
				run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S --ca-file "$LAB_CA" \
					-t "$LAB_TIMEOUT_S" -U alice --password-file "$LAB_PWFILE_ALICE" \
					"${a[@]}" "$v" --output="$f"
				expect_rc 0
				[ "$f" = json ] || expect_out '^ *([0-9.]+ ms )?C: (PASS |APOP alice )?\*{8}$'
				expect_not_printed "$pw" "$plain"
			done
		done
	done
}

# ---- the process list and memory ------------------------------------------

# SMTP over implicit TLS: the fake accepts AUTH (PLAIN or LOGIN), reads the
# next command (QUIT) and never answers it; the plugin waits (-t 20).
smtp_secret_fake() {
	local auth
	if [ "$1" = PLAIN ]; then
		auth='expect ^AUTH PLAIN [A-Za-z0-9+/=]+$
send 235 2.7.0 Authentication successful\r\n'
	else
		auth='expect ^AUTH LOGIN$
send 334 VXNlcm5hbWU6\r\n
expect ^YWxpY2U=$
send 334 UGFzc3dvcmQ6\r\n
expect-any
send 235 2.7.0 Authentication successful\r\n'
	fi
	tls_fake <<EOF
send 220 fake.test ESMTP\\r\\n
expect ^EHLO
send 250-fake.test\\r\\n250 AUTH PLAIN LOGIN\\r\\n
$auth
expect-any
log blocked
sleep $HANG_S
EOF
}

test_smtp_password_not_in_cmdline_or_memory_while_it_waits() {
	secrets_init
	local src mech pw plain login
	for src in file env arg; do
		for mech in PLAIN LOGIN; do
			pw=$(new_password)
			plain=$(printf '\0alice\0%s' "$pw" | base64 -w0)
			login=$(printf '%s' "$pw" | base64 -w0)
			smtp_secret_fake "$mech"
			bg exec_with "$src" "$pw" "$SMTP" -H 127.0.0.1 -p "$FAKE_PORT" -s --insecure \
				-U alice -A "$mech" -t 20 -vvv
			wait_fake_log '^E: blocked'
			expect_no_secret_in_memory $([ "$src" = env ] && echo --env) \
				password="$pw" plain_base64="$plain" login_base64="$login" ||
				fail "password from $src, AUTH $mech"
			bg_stop
		done
	done
}

# POP3 over implicit TLS: the fake accepts the login (USER/PASS, SASL PLAIN
# or APOP), reads the next command (STAT) and never answers it.
pop3_secret_fake() {
	local auth
	case $1 in
	user) auth='expect ^USER alice$
send +OK\r\n
expect ^PASS \S+$
send +OK logged in\r\n' ;;
	sasl) auth='expect ^AUTH PLAIN$
send + \r\n
expect ^[A-Za-z0-9+/=]+$
send +OK logged in\r\n' ;;
	apop) auth='expect ^APOP alice [0-9a-f]{32}$
send +OK logged in\r\n' ;;
	esac
	tls_fake <<EOF
send +OK fake POP3 <1896.697170952@fake.test>\\r\\n
expect ^CAPA$
send +OK\\r\\nUSER\\r\\nSASL PLAIN\\r\\n.\\r\\n
$auth
expect-any
log blocked
sleep $HANG_S
EOF
}

test_pop3_password_not_in_cmdline_or_memory_while_it_waits() {
	secrets_init
	local src auth pw plain a
	for src in file env arg; do
		for auth in user sasl apop; do
			a=()
			case $auth in sasl) a=(--sasl plain) ;; apop) a=(--apop) ;; esac
			pw=$(new_password)
			plain=$(printf '\0alice\0%s' "$pw" | base64 -w0)
			pop3_secret_fake "$auth"
			bg exec_with "$src" "$pw" "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -S --insecure \
				-U alice "${a[@]}" -t 20 -vvv
			wait_fake_log '^E: blocked'
			expect_no_secret_in_memory $([ "$src" = env ] && echo --env) \
				password="$pw" plain_base64="$plain" ||
				fail "password from $src, login $auth"
			bg_stop
		done
	done
}

# -P: already blanked when the plugin connects (the fake logs the
# connection before anything else), both plugins.
test_password_given_with_P_is_blanked_before_connecting() {
	secrets_init
	local pw p cmdline
	for p in "$SMTP" "$POP"; do
		pw=$(new_password)
		tls_fake <<EOF
sleep $HANG_S
EOF
		bg "$p" -H 127.0.0.1 -p "$FAKE_PORT" -S --insecure -U alice -P "$pw" -t 20
		wait_fake_log '^E: connection 1 from'
		cmdline=$(tr '\0' ' ' <"/proc/$BG_PID/cmdline")
		[[ $cmdline == *" -U alice -P "* ]] || fail "unexpected command line: $cmdline"
		[[ $cmdline != *"$pw"* ]] || fail "-P's password is in $p's command line: $cmdline"
		bg_stop
	done
}

# ---- refused before anything is sent --------------------------------------

# A CR or LF would end the command that carries the password and start one
# of the password's making: refused from every source, before connecting.
test_password_with_cr_or_lf_refused_from_every_source() {
	secrets_init
	local p pw src want
	printf 'sleep %s\n' "$HANG_S" >"$FAKE_TMP/idle"
	fake_start tcpfake --scenario "$FAKE_TMP/idle"
	for p in "$SMTP" "$POP"; do
		for pw in $'sec\r\nDELE 1' $'sec\nQUIT' $'sec\rRSET'; do
			for src in file env arg; do
				local a=(-H 127.0.0.1 -p "$FAKE_PORT" -U alice --allow-plaintext-auth -t 5)
				case $src in
				file) printf '%s\n' "$pw" >"$FAKE_TMP/pw"
				      a+=(--password-file "$FAKE_TMP/pw")
				      want="the password in '$FAKE_TMP/pw' holds a CR or LF" ;;
				env)  a+=(--password-env SECRET_PW)
				      want='the password in the environment variable SECRET_PW holds a CR or LF' ;;
				arg)  a+=(-P "$pw"); want='the password given with -P holds a CR or LF' ;;
				esac
				# A file's first line ends at its LF (or CR LF): a CR
				# inside the line is what is left to refuse there.
				if [ "$src" = file ] && [ "$pw" != $'sec\rRSET' ]; then continue; fi
				run env SECRET_PW="$pw" "$p" "${a[@]}"
				expect_rc 3
				expect_status "^(SMTP|POP3) UNKNOWN - $(printf '%s' "$want" | sed 's/[][\.*^$()+?{}|/]/\\&/g')"
			done
		done
	done
	! grep -q '^E: connection' "$FAKE_LOG" || fail "a plugin connected: $(cat "$FAKE_LOG")"
}

# No TLS and no --allow-plaintext-auth: refused before connecting; with it,
# the credentials go out (the control that shows the fake would see them).
test_no_credentials_over_plaintext_unless_allowed() {
	secrets_init
	printf '%s\n' fakepw >"$FAKE_TMP/pw"
	printf 'sleep %s\n' "$HANG_S" >"$FAKE_TMP/idle"
	fake_start tcpfake --scenario "$FAKE_TMP/idle"
	run "$SMTP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-file "$FAKE_TMP/pw" -t 5
	expect_rc 3
	expect_status '^SMTP UNKNOWN - refusing to send credentials over an unencrypted connection'
	run "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-file "$FAKE_TMP/pw" -t 5
	expect_rc 3
	expect_status '^POP3 UNKNOWN - refusing to send the password without TLS'
	! grep -q '^E: connection' "$FAKE_LOG" || fail "a plugin connected: $(cat "$FAKE_LOG")"
	cat >"$FAKE_TMP/smtp" <<'EOF2'
send 220 fake.test ESMTP\r\n
expect ^EHLO
send 250-fake.test\r\n250 AUTH PLAIN LOGIN\r\n
expect ^AUTH PLAIN AGFsaWNlAGZha2Vwdw==$
send 235 2.7.0 ok\r\n
expect ^QUIT$
send 221 bye\r\n
EOF2
	fake_start tcpfake --scenario "$FAKE_TMP/smtp"
	run "$SMTP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-file "$FAKE_TMP/pw" -t 5 \
		--allow-plaintext-auth
	expect_rc 0
	fake_wait
	[ "$FAKE_RC" = 0 ] || fail "fake: $(cat "$FAKE_OUT")"
	cat >"$FAKE_TMP/pop" <<'EOF2'
send +OK fake\r\n
expect ^CAPA$
send +OK\r\nUSER\r\n.\r\n
expect ^USER alice$
send +OK\r\n
expect ^PASS fakepw$
send +OK\r\n
expect ^STAT$
send +OK 0 0\r\n
expect ^QUIT$
send +OK bye\r\n
EOF2
	fake_start tcpfake --scenario "$FAKE_TMP/pop"
	run "$POP" -H 127.0.0.1 -p "$FAKE_PORT" -U alice --password-file "$FAKE_TMP/pw" -t 5 \
		--allow-plaintext-auth
	expect_rc 0
	fake_wait
	[ "$FAKE_RC" = 0 ] || fail "fake: $(cat "$FAKE_OUT")"
}

# Certificates are verified unless --insecure: a self-signed one fails the
# run (CRITICAL) before any credential is sent, with implicit TLS and with
# STARTTLS/STLS, SMTP and POP3.
test_tls_verification_is_on_by_default_and_stops_the_login() {
	secrets_init
	printf '%s\n' fakepw >"$FAKE_TMP/pw"
	local cert="$FAKE_TMP/cert.pem $FAKE_TMP/key.pem" mode
	for mode in implicit starttls; do
		if [ $mode = implicit ]; then
			printf 'starttls %s\nexpect-any\n' "$cert" >"$FAKE_TMP/smtp"
		else
			printf '%s\n' 'send 220 fake.test ESMTP\r\n' 'expect ^EHLO' \
				'send 250-fake.test\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n' \
				'expect ^STARTTLS$' 'send 220 go ahead\r\n' "starttls $cert" 'expect-any' \
				>"$FAKE_TMP/smtp"
		fi
		fake_start tcpfake --scenario "$FAKE_TMP/smtp"
		run "$SMTP" -H 127.0.0.1 -p "$FAKE_PORT" "$([ $mode = implicit ] && echo -s || echo -S)" \
			-U alice --password-file "$FAKE_TMP/pw" -t 5
		expect_rc 2
		expect_status '^SMTP CRITICAL - .*certificate verification failed.*self-signed'
		fake_wait
		! grep '^C: ' "$FAKE_LOG" | grep -vE '^C: (EHLO .*|STARTTLS)$' ||
			fail "SMTP $mode: more than EHLO and STARTTLS sent"

		if [ $mode = implicit ]; then
			printf 'starttls %s\nexpect-any\n' "$cert" >"$FAKE_TMP/pop"
		else
			printf '%s\n' 'send +OK fake\r\n' 'expect ^CAPA$' 'send +OK\r\nSTLS\r\nUSER\r\n.\r\n' \
				'expect ^STLS$' 'send +OK begin TLS\r\n' "starttls $cert" 'expect-any' \
				>"$FAKE_TMP/pop"
		fi
		fake_start tcpfake --scenario "$FAKE_TMP/pop"
		run "$POP" -H 127.0.0.1 -p "$FAKE_PORT" "$([ $mode = implicit ] && echo -S || echo --starttls)" \
			-U alice --password-file "$FAKE_TMP/pw" -t 5
		expect_rc 2
		expect_status '^POP3 CRITICAL - .*certificate verification failed.*self-signed'
		fake_wait
		! grep '^C: ' "$FAKE_LOG" | grep -vE '^C: (CAPA|STLS)$' ||
			fail "POP3 $mode: more than CAPA and STLS sent"
	done
}

# The same against the lab's real Postfix: its self-signed and wrong-host
# ports fail without --insecure (with the lab CA given for the wrong host,
# so that only the name is wrong).
test_lab_tls_verification_is_on_by_default() {
	need_lab
	run "$SMTP" -H "$SMTP_HOST" -p "$SMTP_SELFSIGNED_PORT" -S -U alice \
		--password-file "$LAB_PWFILE_ALICE" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_status '^SMTP CRITICAL - .*self-signed certificate'
	run "$SMTP" -H "$SMTP_NAME" --dns-server "$DNS_SERVER:$DNS_PORT" -p "$SMTP_WRONGHOST_PORT" -S \
		--ca-file "$LAB_CA" -U alice --password-file "$LAB_PWFILE_ALICE" -t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_status '^SMTP CRITICAL - .*(host ?name|IP address) mismatch'
	run "$POP" -H "$POP3_HOST" -p "$POP3S_PORT" -S -U alice --password-file "$LAB_PWFILE_ALICE" \
		-t "$LAB_TIMEOUT_S"
	expect_rc 2
	expect_status '^POP3 CRITICAL - .*certificate verification failed'
}

# ---- privileges of the ICMP plugins -----------------------------------------

export NETLAB_ID=sec$$
. "$TOP/tests/integration/netlab.sh"

# status_field NAME: the value of NAME: in /proc/$BG_PID/status, tabs made
# spaces.
status_field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$BG_PID/status" | tr -s '\t ' '  '; }

# expect_unprivileged_while_waiting WHAT: once $BG_PID has an open socket
# and no effective capability (REACH_S at most), it must hold no
# capability at all, no root user or group id, no_new_privs, and still be
# running (waiting for replies that never come).
expect_unprivileged_while_waiting() {
	local what=$1 i f v
	for ((i = 0; i < REACH_S * 50; i++)); do
		kill -0 "$BG_PID" 2>/dev/null || break
		if ls -l "/proc/$BG_PID/fd" 2>/dev/null | grep -q 'socket:' &&
			[ "$(status_field CapEff)" = 0000000000000000 ]; then
			break
		fi
		sleep 0.02
	done
	kill -0 "$BG_PID" 2>/dev/null || { complain "$what: ended before it was looked at:"; cat "$BG_OUT" >&2; return 1; }
	for f in CapEff CapPrm CapInh CapAmb; do
		v=$(status_field $f)
		[ "$v" = 0000000000000000 ] || fail "$what: $f is $v while it waits"
	done
	[ "$(status_field NoNewPrivs)" = 1 ] || fail "$what: no_new_privs is not set"
	for f in Uid Gid; do
		v=$(status_field $f)
		[[ " $v " != *" 0 "* ]] || fail "$what: $f is '$v' (root) while it waits"
	done
	[[ " $(status_field Groups) " != *" 0 "* ]] || fail "$what: still in group 0"
	ls -l "/proc/$BG_PID/fd" | grep -q 'socket:' || fail "$what: no socket open"
	kill -0 "$BG_PID" 2>/dev/null || fail "$what: ended while it was looked at"
}

# Started as root, or as nobody from a copy with cap_net_raw+ep (as make
# install and the package give it), against a destination that drops every
# probe (-t 20, so they wait): /proc/PID/status shows what they hold.
test_icmp_plugins_hold_no_privilege_while_they_wait() {
	need_root
	need_cmd setcap
	lab_up --routers 1 --dest-drop
	local d name
	d=$(mktemp -d)
	at_exit "rm -rf '$d'"
	at_exit 'kill "$BG_PID"; wait "$BG_PID"'
	chmod 755 "$d"
	cp "$ICMP" "$HOPS" "$d/"
	setcap cap_net_raw+ep "$d/check_icmp_rtt" || fail "setcap failed"
	setcap cap_net_raw+ep "$d/check_hops" || fail "setcap failed"
	BG_OUT=$d/out
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	local -A runs=(
		[icmp-root]="$ICMP -n 5 -i 1s -t 20 $NET_DST4 $NET_DST6"
		[icmp-cap]="${nobody[*]} $d/check_icmp_rtt -n 5 -i 1s -t 20 $NET_DST4 $NET_DST6"
		[hops-icmp-root]="$HOPS -H $NET_DST4 -P icmp -t 20"
		[hops-icmp-cap]="${nobody[*]} $d/check_hops -H $NET_DST6 -P icmp -t 20"
		[hops-udp-root]="$HOPS -H $NET_DST4 -t 20"
	)
	for name in icmp-root icmp-cap hops-icmp-root hops-icmp-cap hops-udp-root; do
		# shellcheck disable=SC2086 # a command line, one word each
		bg ip netns exec "$NET_SRC_NS" ${runs[$name]}
		expect_unprivileged_while_waiting "$name"
		kill "$BG_PID"; wait "$BG_PID" || true
	done
}
