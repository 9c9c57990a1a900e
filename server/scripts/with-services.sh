#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster and an S3-compatible server (moto)
# started on 127.0.0.1, and their addresses in the environment:
#   CONFIDE_TEST_PG  postgres://confide@127.0.0.1:PORT/postgres (a superuser; each test
#                    makes a database of its own)
#   CONFIDE_TEST_S3  http://127.0.0.1:PORT (each test makes a bucket of its own)
# Both live under build/server-services/ and stop when the command ends. With
# CONFIDE_SERVICES=postgres, only PostgreSQL (make bench-server: blobs stay in a local folder).
# Needs Debian's postgresql (.ci/run installs it) and Python 3 (moto is pip-installed into
# build/moto-venv on first use, at the version pinned below).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$root/build/server-services
moto_version=5.2.5

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -x "$pg_bin/initdb" ] || { echo "with-services: PostgreSQL is not installed (apt-get install postgresql)"; exit 1; }

only_pg=$([ "${CONFIDE_SERVICES:-}" = postgres ] && echo 1 || true)
venv=$root/build/moto-venv
if [ -z "$only_pg" ] && [ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null || true)" != "$moto_version" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto_version"
fi

# A free port in [from, to]: the machine is shared, so try each.
free_port() {
  local p
  for p in $(seq "$1" "$2"); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "with-services: no free port in $1-$2" >&2; exit 1
}

rm -rf "$work" && mkdir -p "$work/pg-socket"
# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  chown -R postgres "$work"
  as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U confide -A trust --no-sync -E UTF8 >"$work/initdb.log"
pg_port=$(free_port 5540 5549)
# fsync off: a test cluster is thrown away; the crash tests kill confide-server, not it.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/postgres.log" -w -t 60 \
  -o "-p $pg_port -k $work/pg-socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null
moto_pid=
if [ -z "$only_pg" ]; then
  s3_port=$(free_port 8400 8499)
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
fi
stop() {
  [ -z "$moto_pid" ] || kill "$moto_pid" 2>/dev/null || true
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
}
trap stop EXIT
export CONFIDE_TEST_PG="postgres://confide@127.0.0.1:$pg_port/postgres"
if [ -n "$only_pg" ]; then
  echo "with-services: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on $pg_port"
  "$@"
  exit
fi
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
  sleep 0.1
done

export CONFIDE_TEST_S3="http://127.0.0.1:$s3_port"
echo "with-services: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on $pg_port, moto $moto_version on $s3_port"
"$@"
