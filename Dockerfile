# syntax=docker/dockerfile:1
# simgate: multi-stage build. The builder compiles with --locked (librdkafka
# is bundled and built from source, hence cmake-free make/perl/g++); the final
# image holds the binary only and runs as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
ARG SIMGATE_GIT_REVISION=unknown
ENV SIMGATE_GIT_REVISION=${SIMGATE_GIT_REVISION}
COPY . .
RUN cargo build --release --locked --bin simgate \
 && install -D target/release/simgate /out/simgate

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/simgate /usr/local/bin/simgate
COPY config/simgate.example.toml /etc/simgate/simgate.toml
ENV SIMGATE_CONFIG=/etc/simgate/simgate.toml
USER nonroot:nonroot
EXPOSE 8080 9506
HEALTHCHECK --interval=10s --timeout=4s --retries=3 CMD ["/usr/local/bin/simgate", "healthcheck", "--addr", "127.0.0.1:8080"]
ENTRYPOINT ["/usr/local/bin/simgate"]
CMD ["serve"]
