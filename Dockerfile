# syntax=docker/dockerfile:1
# The shop's images, from one multi-stage build (docker compose builds both targets):
#   docker build --target host -t shop-host .
#   docker build --target web  -t shop-web .
# The build stage runs the README's own build command; the runtime stages are Debian slim
# with the binaries and built assets only, running as an unprivileged user.

FROM rust:1.95-bookworm AS build
# Node.js/npm fetch Swagger UI and wasm-opt (pinned by package-lock files); clang-19,
# llvm-19 and wasi-libc compile libwebp into the media component.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm clang-19 llvm-19 wasi-libc \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo xtask build \
 && mkdir -p /out \
 && cp target/release/shop-host target/release/shop-web /out/

# The host: wasmtime, the components, the API. Its data (compile cache, uploads when
# a volume is mounted there) lives in /var/lib/shop.
FROM debian:bookworm-slim AS host
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/shop shop \
 && mkdir -p /var/lib/shop/uploads \
 && chown -R shop /var/lib/shop
WORKDIR /app
COPY --from=build /out/shop-host /usr/local/bin/shop-host
COPY --from=build /src/dist/components /app/dist/components
COPY --from=build /src/dist/api-docs /app/dist/api-docs
COPY spin.toml /app/spin.toml
ENV SHOP_ADDR=0.0.0.0:5000 \
    SHOP_OPERATOR_ADDR=127.0.0.1:5001 \
    SHOP_MANIFEST=/app/spin.toml \
    SHOP_COMPONENTS_DIR=/app/dist/components \
    SHOP_API_DOCS_DIR=/app/dist/api-docs \
    SHOP_DATA_DIR=/var/lib/shop \
    LOG_FORMAT=json
USER shop
EXPOSE 5000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["shop-host", "healthcheck"]
CMD ["shop-host"]

# The storefront: Leptos server-side rendering and the client bundle.
FROM debian:bookworm-slim AS web
RUN useradd --system --uid 10001 --home-dir /app shop
WORKDIR /app
COPY --from=build /out/shop-web /usr/local/bin/shop-web
COPY --from=build /src/dist/web /app/dist/web
ENV WEB_ADDR=0.0.0.0:4000 \
    WEB_SITE_DIR=/app/dist/web \
    LOG_FORMAT=json
USER shop
EXPOSE 4000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["shop-web", "healthcheck"]
CMD ["shop-web"]
