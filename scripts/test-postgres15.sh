#!/usr/bin/env bash
# npm run test:postgres15 [-- vitest arguments]: the test suite against Debian's PostgreSQL 15 (the
# `postgresql` package) instead of the embedded 18: a throwaway cluster in a temporary folder, named to
# the suite by TEST_DATABASE_URL (test/support/global-setup.ts), stopped and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${POSTGRES15_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$bin/initdb" ]; then
  echo "No PostgreSQL 15 in $bin: apt-get install -y postgresql (Debian 12), or set POSTGRES15_BIN." >&2
  exit 2
fi
# initdb and pg_ctl refuse to run as root: as root, the cluster belongs to the postgres user.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir="$(mktemp -d "${TMPDIR:-/tmp}/paygraph-pg15-XXXXXX")"
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port="$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
stop() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port (log: $dir/server.log)"
TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres" npx vitest run "$@"
