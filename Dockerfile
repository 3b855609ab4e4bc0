# Weft's container image: built with the official Rust image, run on Debian slim as an
# unprivileged user, with its data (SQLite, when no PostgreSQL is named) in the volume
# /var/lib/weft. deploy/compose.yaml runs it with PostgreSQL behind Caddy.
#   docker build -t weft .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p weft-server \
    && cp target/release/weft /usr/local/bin/weft

FROM debian:bookworm-slim
# CA certificates: Weft fetches and delivers over https.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/weft \
       --shell /usr/sbin/nologin weft \
    && mkdir -p /var/lib/weft \
    && chown weft:weft /var/lib/weft
COPY --from=build /usr/local/bin/weft /usr/local/bin/weft
USER weft
WORKDIR /var/lib/weft
ENV WEFT_DATA_DIR=/var/lib/weft \
    WEFT_LISTEN=0.0.0.0:8080
VOLUME ["/var/lib/weft"]
EXPOSE 8080
# The image has no curl: `weft health` asks http://WEFT_LISTEN/health itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["weft", "health"]
ENTRYPOINT ["weft"]
CMD ["serve"]
