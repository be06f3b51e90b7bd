#!/usr/bin/env bash
# Runs CMD... with a throwaway PostgreSQL server: initdb into a temporary directory, pg_ctl start on a free loopback
# port as an unprivileged user (PostgreSQL refuses to run as root), installing Debian's postgresql package first if
# it is missing. CMD sees FASTCHAT_TEST_POSTGRES_URL=postgres://fastchat@127.0.0.1:PORT/fastchat (trust auth, loopback
# only; the role may create databases: the tests make one per case). The server is stopped and its directory removed
# afterwards, whatever happens; the script exits with CMD's status.
#
# CMD also sees FASTCHAT_TEST_PG_CTL: a pg_ctl that runs as the user the server runs as, for tests that need a
# PostgreSQL server of their own to stop and start (stopping the shared one would fail every test running beside).
#
# The server is for tests: fsync is off (its data is thrown away anyway), so its write rates are higher than a
# production server's.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARG...]" >&2
    exit 2
fi

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The newest installed server binaries: Debian keeps them out of PATH, under /usr/lib/postgresql/VERSION/bin.
find_bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

bin_dir=$(find_bin_dir)
if [ -z "$bin_dir" ]; then
    echo "Installing PostgreSQL (the store tests run against a real server)..." >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin_dir=$(find_bin_dir)
    if [ -z "$bin_dir" ]; then
        echo "PostgreSQL was installed but initdb and pg_ctl are nowhere to be found." >&2
        exit 1
    fi
fi

# Who runs the server: root may not, so root hands it to an unprivileged account.
if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then
        server_user=postgres
    else
        server_user=fastchat-test
        id "$server_user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$server_user"
    fi
    as_server() { runuser -u "$server_user" -- "$@"; }
    as_server_prefix="runuser -u $server_user --"
else
    as_server() { "$@"; }
    as_server_prefix=""
fi

directory=$(mktemp -d "${TMPDIR:-/tmp}/fastchat-postgres.XXXXXX")
data="$directory/data"
log="$directory/server.log"
started=0

cleanup() {
    if [ "$started" -eq 1 ]; then
        as_server "$bin_dir/pg_ctl" stop -D "$data" -m fast -w >/dev/null 2>&1 || true
    fi
    rm -rf "$directory"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" -eq 0 ] && chown "$server_user" "$directory"
chmod 700 "$directory"

as_server "$bin_dir/initdb" -D "$data" -U fastchat --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync \
    >"$directory/initdb.log" 2>&1 || {
    cat "$directory/initdb.log" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 40000))
}

# A port found free may be taken before the server binds it: then try another.
for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if as_server "$bin_dir/pg_ctl" start -D "$data" -l "$log" -w -t 60 -o "\
        -c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$directory \
        -c max_connections=500 -c shared_buffers=64MB -c fsync=off -c full_page_writes=off" >/dev/null; then
        started=1
        break
    fi
done
if [ "$started" -ne 1 ]; then
    echo "The throwaway PostgreSQL server did not start:" >&2
    cat "$log" >&2 || true
    exit 1
fi

"$bin_dir/createdb" -h 127.0.0.1 -p "$port" -U fastchat fastchat

export FASTCHAT_TEST_POSTGRES_URL="postgres://fastchat@127.0.0.1:$port/fastchat"

# The server `pg_ctl start` leaves behind would inherit every descriptor the caller passed, and a caller waiting for
# one of them to close (Foundation's Process does) would wait forever: keep only the standard three.
cat >"$directory/pg_ctl" <<EOF
#!/usr/bin/env bash
for fd in /proc/\$\$/fd/*; do
    fd=\${fd##*/}
    [ "\$fd" -gt 2 ] && eval "exec \$fd>&-"
done
exec $as_server_prefix "$bin_dir/pg_ctl" "\$@"
EOF
chmod 755 "$directory/pg_ctl"
export FASTCHAT_TEST_PG_CTL="$directory/pg_ctl"
echo "PostgreSQL $("$bin_dir/pg_ctl" --version | awk '{print $3}') for this run: $FASTCHAT_TEST_POSTGRES_URL" >&2

status=0
"$@" || status=$?
exit "$status"
