# syntax=docker/dockerfile:1
#
# Every binary of the workspace in one slim image; docker-compose.yml picks
# the command per service (there is no ENTRYPOINT).
#
#   docker build -t mcp-connectors:local .
#   docker run --rm mcp-connectors:local zapier-mcp --help

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /src
# The binaries to build and ship; to ship another connector, add it (and its
# mock) here; nothing else in this file changes.
ARG BINARIES="mcp-suite zapier-mcp mock-zapier jira-mcp mock-jira servicenow-mcp mock-servicenow crm-mcp mock-crm github-mcp mock-github"
COPY . .
# $bins is split into `--bin X` words on purpose.
# hadolint ignore=SC2086
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    set -eux; \
    bins=""; for b in $BINARIES; do bins="$bins --bin $b"; done; \
    cargo build --release --locked $bins; \
    mkdir -p /out; \
    for b in $BINARIES; do cp "target/release/$b" /out/; done

FROM debian:bookworm-slim AS runtime
# ca-certificates: TLS roots for the real upstreams. Health checks use
# `mcp-suite healthcheck URL`, so no curl is needed.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin mcp; \
    install -d -o 10001 -g 10001 -m 0700 /var/lib/mcp-connectors
COPY --from=builder /out/ /usr/local/bin/
USER 10001:10001
ENV RUST_LOG=info
# The state dir: the default store (sqlite:<dir>/<connector>.sqlite3) lives
# here, owned by the image's user (the user has no home directory). A volume,
# so the store outlives a re-created container; `--state` chooses another.
ENV MCP_STATE_DIR=/var/lib/mcp-connectors
VOLUME ["/var/lib/mcp-connectors"]
# mcp-suite, zapier-mcp, mock-zapier, jira-mcp, mock-jira, servicenow-mcp,
# mock-servicenow, crm-mcp, mock-crm, github-mcp, mock-github (see docker-compose.yml)
EXPOSE 8931 8101 9101 8102 9102 8103 9103 8104 9104 8105 9105
CMD ["mcp-suite", "--help"]
