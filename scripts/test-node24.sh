#!/usr/bin/env bash
# `npm run test:node24`: the test suite on Node 24 LTS, whatever node this machine runs (20.19+ here).
# Node's own binaries come from the npm registry (the node-linux-<arch> package), so no download host
# is needed: fetched once into .cache/ (git-ignored), then vitest runs with that node first on PATH,
# so every process the tests start (tsx, the services, the local Stripe) runs on it too. No typecheck:
# that does not depend on the runtime. Arguments go to `vitest run` (a file, -t, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
version="${NODE24_VERSION:-24.22.3}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "test:node24: no Node package for $(uname -m)" >&2 && exit 1 ;;
esac
home=".cache/node-$version-linux-$arch"
if [ ! -x "$home/bin/node" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "test:node24: fetching node-linux-$arch@$version from the npm registry (about 50 MB, once)"
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" > /dev/null)
  tar -xzf "$work"/node-linux-"$arch"-*.tgz -C "$work"
  mkdir -p .cache && rm -rf "$home" && mv "$work/package" "$home"
fi
export PATH="$PWD/$home/bin:$PATH"
echo "test:node24: $(node --version) at $(command -v node)"
exec node node_modules/vitest/vitest.mjs run "$@"
