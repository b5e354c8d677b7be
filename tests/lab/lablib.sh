# Shared by tests/lab/up and tests/lab/down (sourced, not run).
#
# Every server the lab starts carries NETCHECK_LAB_TAG=<lab dir> in its
# environment (Postfix and Dovecot pass it on to their children through
# import_environment), so stopping finds exactly the lab's own processes by
# their ids, never by name.

LAB_RECORD=${TMPDIR:-/tmp}/netcheck-lab.path

say() { printf 'lab: %s\n' "$*" >&2; }

# The lab folder: NETCHECK_LAB_DIR, else the one `up` recorded, else the default.
lab_dir() {
	if [ -n "${NETCHECK_LAB_DIR:-}" ]; then
		printf '%s\n' "$NETCHECK_LAB_DIR"
	elif [ -s "$LAB_RECORD" ]; then
		head -n 1 "$LAB_RECORD"
	else
		printf '%s\n' "${TMPDIR:-/tmp}/netcheck-lab"
	fi
}

# Process ids whose environment holds NETCHECK_LAB_TAG=$1.
tagged_pids() {
	local tag="NETCHECK_LAB_TAG=$1" f pid
	for f in /proc/[0-9]*/environ; do
		pid=${f#/proc/}; pid=${pid%/environ}
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
		if { tr '\0' '\n' <"$f"; } 2>/dev/null | grep -Fxq -- "$tag"; then
			printf '%s\n' "$pid"
		fi
	done
}

# wait_gone SECONDS PID...: true once none of the pids exists.
wait_gone() {
	local limit=$(( $1 * 10 )) i p alive
	shift
	for ((i = 0; i < limit; i++)); do
		alive=
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && return 0
		sleep 0.1
	done
	return 1
}

pid_from() { [ -s "$1" ] && head -n 1 "$1" | tr -dc 0-9; }

# Stop every server of the lab in folder $1, all at once (each takes about
# 2 s to shut down); leave no tagged process behind.
stop_servers() {
	local dir=$1 pid pids masters= pfstop=
	[ -d "$dir" ] || return 0
	pid=$(pid_from "$dir/postfix-spool/queue/pid/master.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		say "stopping postfix"
		masters+=" $pid"
		if [ -f "$dir/postfix/main.cf" ] && command -v postfix >/dev/null 2>&1; then
			timeout 15 postfix -c "$dir/postfix" stop >/dev/null 2>&1 &
			pfstop=$!
		else
			kill "$pid" 2>/dev/null || true
		fi
	fi
	pid=$(pid_from "$dir/dovecot/run/master.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		say "stopping dovecot"
		masters+=" $pid"
		kill "$pid" 2>/dev/null || true
	fi
	pid=$(pid_from "$dir/nsd/nsd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		say "stopping nsd"
		masters+=" $pid"
		kill "$pid" 2>/dev/null || true
	fi
	if [ -n "$masters" ]; then
		# shellcheck disable=SC2086
		wait_gone 10 $masters || kill -9 $masters 2>/dev/null || true
	fi
	[ -z "$pfstop" ] || wait "$pfstop" 2>/dev/null || true
	# Children that outlived their master, and servers that never wrote a
	# pid file.  (Dovecot's children write their process title over their
	# environment, so they carry no tag; their master waits for them.)
	local live
	live=$(tagged_pids "$dir" | tr '\n' ' ')
	if [ -n "$live" ]; then
		# shellcheck disable=SC2086
		kill $live 2>/dev/null || true
		# shellcheck disable=SC2086
		wait_gone 5 $live || kill -9 $live 2>/dev/null || true
		# shellcheck disable=SC2086
		wait_gone 2 $live || { say "processes left behind: $live"; return 1; }
	fi
	return 0
}

# Postfix finds a private config dir only through alternate_config_directories
# in the default main.cf (the one change to the machine LAB.md calls unavoidable).
# Both read, change and write /etc/postfix/main.cf: under one lock, so that
# labs started or stopped at the same time never lose each other's entry.
POSTFIX_LOCK=/run/netcheck-lab-postfix.lock

postfix_allow_dir() {
	(
		flock -w 30 9 || exit 1
		local cur
		cur=$(postconf -h alternate_config_directories 2>/dev/null || true)
		case ", $cur," in *", $1,"*) exit 0 ;; esac
		postconf -e "alternate_config_directories = ${cur:+$cur, }$1"
	) 9>"$POSTFIX_LOCK"
}

postfix_forget_dir() {
	command -v postconf >/dev/null 2>&1 || return 0
	(
		flock -w 30 9 || exit 1
		local cur new= d
		cur=$(postconf -h alternate_config_directories 2>/dev/null || true)
		case ", $cur," in *", $1,"*) ;; *) exit 0 ;; esac
		IFS=', ' read -r -a parts <<<"$cur"
		for d in "${parts[@]}"; do
			[ -n "$d" ] && [ "$d" != "$1" ] && new=${new:+$new, }$d
		done
		postconf -e "alternate_config_directories = $new"
	) 9>"$POSTFIX_LOCK"
}

# Remove the lab folder, only if it is one (it holds our marker file).
remove_lab_dir() {
	local dir=$1
	[ -d "$dir" ] || return 0
	if [ ! -f "$dir/.netcheck-lab" ]; then
		say "not removing $dir: it has no .netcheck-lab marker"
		return 1
	fi
	rm -rf -- "$dir"
}
