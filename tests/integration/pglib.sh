# A private PostgreSQL cluster for the integration tests (sourced by
# lib.sh, never run on its own).  pg_start makes one in a temp directory,
# owned by an unprivileged user (nobody when the tests run as root: the
# server refuses to run as root), listening on a free loopback port and on
# a socket in that directory; the EXIT trap of lib.sh stops it and removes
# the directory.  The binaries are Debian's (package postgresql:
# /usr/lib/postgresql/N/bin), or PG_BIN.
#
#   pg_start            PG_PORT, PG_DIR set; the cluster is running
#   pg_new_db NAME      creates database NAME; sets PG_URI to it
#   pg_stop / pg_resume stops the server (fast) / starts it again
#
# PG_FSYNC (off) is the cluster's fsync: the tests do not pull the power,
# and with it off they do not wait for the disk; the benchmarks set it on.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V |
    tail -n 1)}
PG_DIR=
PG_PORT=
PG_URI=
PG_FSYNC=${PG_FSYNC:-off}
PG_USER=

# pg_as COMMAND [ARGS...]: runs COMMAND as the cluster's owner.
pg_as() {
	if [ -n "$PG_USER" ]; then
		(cd "$PG_DIR" && runuser -u "$PG_USER" -- "$@")
	else
		(cd "$PG_DIR" && "$@")
	fi
}

# pg_free_port: a TCP port below the kernel's ephemeral range (where no
# client connection takes it) that no socket uses now (/proc/net/tcp).
pg_free_port() {
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
	    echo 32768)
	[ "$low" -gt 11000 ] || low=32768
	while :; do
		p=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom) % (low - 10000) ))
		awk -v p="$(printf '%04X' "$p")" '
		    substr($2, length($2) - 3) == p { found = 1 }
		    END { exit found }' /proc/net/tcp && break
	done
	echo "$p"
}

pg_start() {
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
	    fail "no PostgreSQL server binaries (initdb, pg_ctl) in '$PG_BIN': install the Debian package postgresql (./bootstrap does)"
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/broadside-pg.XXXXXX")
	if [ "$(id -u)" -eq 0 ]; then
		PG_USER=nobody
		chown "$PG_USER" "$PG_DIR"
	fi
	pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U broadside \
	    --auth=trust -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
	    fail "initdb failed: $(tail -n 20 "$PG_DIR/initdb.log")"
	# Another test may take the port between the look and the bind.
	for try in 1 2 3 4 5; do
		PG_PORT=$(pg_free_port)
		! pg_try_start || return 0
	done
	fail "PostgreSQL did not start: $(tail -n 20 "$PG_DIR/server.log" 2>/dev/null)"
}

pg_try_start() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -w -t 30 -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=$PG_FSYNC -c max_connections=200" \
	    start >"$PG_DIR/pg_ctl.log" 2>&1
}

# pg_resume: starts the cluster again on its port, waiting until it
# accepts.
pg_resume() {
	pg_try_start ||
	    fail "PostgreSQL did not start: $(tail -n 20 "$PG_DIR/server.log" 2>/dev/null)"
}

# pg_stop: stops the cluster (fast: open sessions are cut).
pg_stop() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop \
	    >"$PG_DIR/pg_ctl.log" 2>&1 ||
	    fail "PostgreSQL did not stop: $(cat "$PG_DIR/pg_ctl.log")"
}

# pg_new_db NAME: creates database NAME (if it does not exist) and sets
# PG_URI to it.
pg_new_db() {
	PG_URI="postgresql://broadside@127.0.0.1:$PG_PORT/$1"
	if ! pg_as "$PG_BIN/psql" -qAt -h "$PG_DIR" -p "$PG_PORT" \
	    -U broadside -d postgres \
	    -c "SELECT 1 FROM pg_database WHERE datname = '$1'" |
	    grep -q 1; then
		pg_as "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" \
		    -U broadside "$1" ||
		    fail "createdb $1 failed"
	fi
}

# pg_sql DB SQL: runs SQL in database DB, printing its rows unaligned.
pg_sql() {
	pg_as "$PG_BIN/psql" -qAt -h "$PG_DIR" -p "$PG_PORT" -U broadside \
	    -d "$1" -c "$2"
}

# pg_cleanup: for the EXIT trap.
pg_cleanup() {
	[ -n "$PG_DIR" ] || return 0
	if [ -f "$PG_DIR/data/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w \
		    stop >/dev/null 2>&1 || true
	fi
	rm -rf "$PG_DIR"
}
