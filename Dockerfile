# syntax=docker/dockerfile:1
#
# Switchyard container image.
#
#   docker build -t switchyard .
#   docker run --rm -p 8080:8080 -v switchyard-data:/var/lib/switchyard switchyard
#
# Stages: `skeleton` reduces the workspace to its manifests plus stub sources, `build`
# compiles the dependencies from that skeleton (a layer that stays cached until a
# Cargo.toml or Cargo.lock changes) and then the real sources, `runtime` is the small
# image that ships the binary.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------------------- skeleton
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS skeleton
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
COPY . .
# Keep the manifests, the lock file and build scripts; replace every target root by a
# stub so that `cargo build` compiles only the dependencies. Any source change leaves
# this stage's output (and so the dependency layer below) byte-for-byte the same.
RUN set -eu; \
    mkdir -p /skeleton; \
    cp Cargo.toml Cargo.lock /skeleton/; \
    find crates -name Cargo.toml -o -name build.rs | while read -r f; do \
        mkdir -p "/skeleton/$(dirname "$f")"; cp "$f" "/skeleton/$f"; \
    done; \
    find crates -maxdepth 4 \( -path '*/src/lib.rs' -o -path '*/src/main.rs' -o -path '*/src/bin/*.rs' \
                   -o -path '*/benches/*.rs' \) | while read -r f; do \
        mkdir -p "/skeleton/$(dirname "$f")"; \
        case "$f" in */lib.rs) : > "/skeleton/$f" ;; *) echo 'fn main() {}' > "/skeleton/$f" ;; esac; \
    done

# ---------------------------------------------------------------------------- build
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
COPY --from=skeleton /skeleton/ ./
# Dependency-cache layer: rebuilt only when a manifest or the lock file changes.
RUN cargo build --release --locked -p switchyard
COPY crates ./crates
# The real sources must look newer than the stub build to cargo's fingerprints.
RUN find crates -type f -exec touch {} + \
 && cargo build --release --locked -p switchyard \
 && install -D -m 0755 target/release/switchyard /out/switchyard \
 && /out/switchyard --version

# ---------------------------------------------------------------------------- runtime
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# curl serves the HEALTHCHECK; ca-certificates for operators who point the gateway at
# private CAs (the built-in TLS roots cover the public providers).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 switchyard \
 && useradd --system --uid 10001 --gid switchyard --home-dir /var/lib/switchyard \
            --shell /usr/sbin/nologin switchyard \
 && install -d -o switchyard -g switchyard -m 0750 /var/lib/switchyard /var/lib/switchyard/media

COPY --from=build /out/switchyard /usr/local/bin/switchyard

# Configuration comes from the environment (see README "Configuration"); a TOML file
# can be mounted and named with SWITCHYARD_CONFIG. The working directory is the data
# volume: SQLite database, the generated master key (switchyard-data/) and media files.
ENV SWITCHYARD_LISTEN=0.0.0.0:8080 \
    SWITCHYARD_DATABASE_URL=sqlite:///var/lib/switchyard/switchyard.db \
    SWITCHYARD_LOG_FORMAT=json
WORKDIR /var/lib/switchyard
VOLUME ["/var/lib/switchyard"]
USER 10001:10001
EXPOSE 8080

# The gateway drains in-flight requests on SIGTERM ([server] shutdown_grace_ms, 30 s by
# default); give `docker stop` a longer timeout (`-t 35`) if you raise it.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/health"]

ENTRYPOINT ["/usr/local/bin/switchyard"]
CMD ["serve"]
