# Helpers for tests that use the fakes; source it from a t_*.sh test file.
#
#   fake_start NAME ARGS...   starts tests/fake/NAME ARGS... in the background
#                             with --portfile and --log in a private temp dir,
#                             waits (bounded, FAKE_START_WAIT s, default 5)
#                             until it listens, and sets:
#                               FAKE_PORT  the port it listens on
#                               FAKE_PID   its process id
#                               FAKE_LOG   its --log file
#                               FAKE_OUT   its stdout+stderr
#                             The fake is killed when the test's shell exits.
#   fake_wait [PID] [SECS]    waits (bounded, default 10 s) for the fake to
#                             exit; sets FAKE_RC (124 when it did not exit in
#                             time: it is then killed)
#   fake_init                 makes the private temp dir $FAKE_TMP (for
#                             scenarios, certs, ...) and sets the EXIT trap
#                             that kills the fakes; fake_start calls it.  A
#                             test that sets its own EXIT trap must call
#                             fake_cleanup from it.
#   fake_cert DIR             makes DIR/cert.pem and DIR/key.pem, a
#                             throwaway self-signed certificate for
#                             localhost (needs the openssl CLI)
#
# Fakes listen on loopback only and stop on their own after --max-seconds
# (the default here is FAKE_MAX_SECONDS, 30, unless ARGS give one).

FAKE_DIR=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/fake
FAKE_PIDS=()
FAKE_TMP=

fake_init() {
	[ -n "$FAKE_TMP" ] && return 0
	FAKE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/netcheck-fake.XXXXXX")
	trap fake_cleanup EXIT
}

fake_cleanup() {
	local pid
	for pid in "${FAKE_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${FAKE_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	FAKE_PIDS=()
	[ -z "$FAKE_TMP" ] || rm -rf "$FAKE_TMP"
}

fake_start() {
	local name=$1; shift
	local dir n portfile wait_s i
	fake_init
	dir=$FAKE_TMP
	n=${#FAKE_PIDS[@]}
	portfile=$dir/$name.$n.port
	FAKE_LOG=$dir/$name.$n.log
	FAKE_OUT=$dir/$name.$n.out
	local extra=()
	case " $* " in *" --max-seconds "*) ;; *) extra=(--max-seconds "${FAKE_MAX_SECONDS:-30}") ;; esac
	# stdout/stderr go to a file: a fake must never hold the runner's pipe.
	"$FAKE_DIR/$name" --portfile "$portfile" --log "$FAKE_LOG" "${extra[@]}" "$@" \
		>"$FAKE_OUT" 2>&1 </dev/null &
	FAKE_PID=$!
	FAKE_PIDS+=("$FAKE_PID")
	wait_s=${FAKE_START_WAIT:-5}
	for ((i = 0; i < wait_s * 50; i++)); do
		if [ -s "$portfile" ]; then
			FAKE_PORT=$(cat "$portfile")
			return 0
		fi
		if ! kill -0 "$FAKE_PID" 2>/dev/null; then
			printf '    fake %s exited before listening:\n' "$name" >&2
			sed 's/^/      /' "$FAKE_OUT" >&2
			return 1
		fi
		sleep 0.02
	done
	printf '    fake %s did not listen within %s s\n' "$name" "$wait_s" >&2
	return 1
}

fake_wait() {
	local pid=${1:-$FAKE_PID} secs=${2:-10} i
	for ((i = 0; i < secs * 50; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			set +e; wait "$pid"; FAKE_RC=$?; set -e
			return 0
		fi
		sleep 0.02
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	FAKE_RC=124
}

fake_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1
}
