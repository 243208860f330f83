# syntax=docker/dockerfile:1.7
# simgate container image.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg SIMGATE_GIT_REVISION="$(git rev-parse --short=12 HEAD)" \
#     -t <registry>/simgate:<version> --push .
#
# Each platform is compiled natively for its TARGETARCH (on a builder of that
# architecture, or under QEMU emulation): librdkafka is bundled C code built
# with its own configure script, and a native compile avoids a cross C
# toolchain. Production runs on Graviton (arm64) nodes; amd64 is for laptops
# and CI.
#
# Reproducible: the toolchain and base images are pinned by tag, dependencies
# come from Cargo.lock (--locked), and the revision is passed in rather than
# read from .git (which .dockerignore keeps out of the context).
#
# The final image holds the binary, the libraries it links that the base does
# not have, and a default settings file. It runs as uid 65532 (distroless
# "nonroot") and writes nothing to its root filesystem, so it runs with
# readOnlyRootFilesystem (Kubernetes) or read_only (compose).

FROM rust:1.95-bookworm AS build
ARG TARGETARCH
ARG SIMGATE_GIT_REVISION=unknown
ENV SIMGATE_GIT_REVISION=${SIMGATE_GIT_REVISION} \
    CARGO_INCREMENTAL=0 \
    CARGO_TERM_COLOR=never \
    LIBZ_SYS_STATIC=1
WORKDIR /src
COPY . .
# Caches are per architecture, so an amd64 and an arm64 build running side by
# side never share a target directory. The binary is copied out of the cache
# mount within the same step.
RUN --mount=type=cache,id=simgate-cargo-registry-${TARGETARCH},target=/usr/local/cargo/registry \
    --mount=type=cache,id=simgate-target-${TARGETARCH},target=/src/target \
    cargo build --release --locked --bin simgate \
 && install -D -m 0755 target/release/simgate /out/rootfs/usr/local/bin/simgate
# Shared libraries the distroless "cc" base lacks (zlib, should the static
# build above fall back to the system one) go into the image at the same path;
# libc, libm and libgcc_s are in the base already.
RUN set -eu; \
    ldd /out/rootfs/usr/local/bin/simgate | awk '$3 ~ /^\// {print $1, $3}' | \
    while read -r name path; do \
      case "$name" in \
        libc.so.*|libm.so.*|libgcc_s.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libstdc++.so.*|ld-linux*) ;; \
        *) install -D -m 0644 "$(readlink -f "$path")" "/out/rootfs/usr/lib/$(gcc -dumpmachine)/$name" ;; \
      esac; \
    done; \
    /out/rootfs/usr/local/bin/simgate --version

FROM gcr.io/distroless/cc-debian12:nonroot
ARG SIMGATE_GIT_REVISION=unknown
LABEL org.opencontainers.image.title="simgate" \
      org.opencontainers.image.description="SMS/SIM gateway" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${SIMGATE_GIT_REVISION}"
COPY --from=build /out/rootfs/ /
COPY config/simgate.example.toml /etc/simgate/simgate.toml
ENV SIMGATE_CONFIG=/etc/simgate/simgate.toml
# 65532 is distroless' "nonroot"; numeric so Kubernetes can verify runAsNonRoot.
USER 65532:65532
# 8080: HTTP (/health, /livez, /readyz, /metrics, API). 9506: SIM applets (raw TCP).
EXPOSE 8080 9506
# Exits 0 only when GET /health answers 200. The image has no shell or curl.
HEALTHCHECK --interval=10s --timeout=4s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/simgate", "healthcheck", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["/usr/local/bin/simgate"]
CMD ["serve"]
