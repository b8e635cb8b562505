#!/bin/sh
# Renders the shop's nginx configuration into DIR, ready for `nginx -p DIR -c DIR/nginx.conf`:
# nginx.conf and snippets/ as they are, templates/*.template into conf.d/ with their
# ${NGINX_*} settings filled in (nginx's own $variables are left alone), and brotli when the
# module is installed. The nginx image's entrypoint and the tests both run it, so both run
# the same configuration.
#
#   NGINX_HOST_SERVERS="server 127.0.0.1:5000;" NGINX_WEB_SERVERS="server 127.0.0.1:4000;" \
#   NGINX_TLS_CERT=/path/cert.pem NGINX_TLS_KEY=/path/key.pem nginx/render.sh /tmp/shop-nginx
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: render.sh DIR}

# Defaults for production (see .env.example); the host and storefront servers and the
# certificate have none: they must be given.
: "${NGINX_HOST_SERVERS:?set NGINX_HOST_SERVERS, e.g. 'server host:5000 max_fails=3 fail_timeout=10s;'}"
: "${NGINX_WEB_SERVERS:?set NGINX_WEB_SERVERS, e.g. 'server web:4000 max_fails=3 fail_timeout=10s;'}"
: "${NGINX_TLS_CERT:?set NGINX_TLS_CERT to the certificate chain (PEM); nginx/make-cert.sh makes a local one}"
: "${NGINX_TLS_KEY:?set NGINX_TLS_KEY to the certificate key (PEM)}"
export NGINX_HTTP_PORT="${NGINX_HTTP_PORT:-80}"
export NGINX_HTTPS_PORT="${NGINX_HTTPS_PORT:-443}"
export NGINX_INTERNAL_PORT="${NGINX_INTERNAL_PORT:-8081}"
export NGINX_HTTPS_PORT_SUFFIX="${NGINX_HTTPS_PORT_SUFFIX:-}"
export NGINX_SERVER_NAME="${NGINX_SERVER_NAME:-_}"
export NGINX_ACCESS_LOG="${NGINX_ACCESS_LOG:-/dev/stdout}"
export NGINX_ACME_ROOT="${NGINX_ACME_ROOT:-/var/www/acme}"
export NGINX_MAX_BODY="${NGINX_MAX_BODY:-16m}"
export NGINX_AUTH_RATE="${NGINX_AUTH_RATE:-10r/s}"
export NGINX_AUTH_BURST="${NGINX_AUTH_BURST:-20}"
export NGINX_HOST_SERVERS NGINX_WEB_SERVERS NGINX_TLS_CERT NGINX_TLS_KEY

command -v envsubst >/dev/null 2>&1 || { echo "render.sh: envsubst is missing (Debian: apt-get install gettext-base)" >&2; exit 1; }

mkdir -p "$out/conf.d" "$out/snippets" "$out/modules-enabled"
cp "$here/nginx.conf" "$out/nginx.conf"
cp "$here"/snippets/*.conf "$out/snippets/"
cp "${NGINX_MIME_TYPES:-/etc/nginx/mime.types}" "$out/mime.types"
# Only our settings are substituted: nginx's $host, $request_id, … stay.
settings=$(env | sed -n 's/^\(NGINX_[A-Z0-9_]*\)=.*/${\1}/p' | tr '\n' ' ')
for template in "$here"/templates/*.template; do
    target="$out/conf.d/$(basename "$template" .template)"
    envsubst "$settings" <"$template" >"$target"
    if grep -q '\${NGINX_' "$target"; then
        echo "render.sh: $target still names a setting that has no value:" >&2
        grep -o '\${NGINX_[A-Z0-9_]*}' "$target" | sort -u >&2
        exit 1
    fi
done
rm -f "$out/modules-enabled/brotli.conf" "$out/conf.d/brotli.conf"
for dir in /usr/lib/nginx/modules /usr/lib/nginx/modules-available /etc/nginx/modules; do
    if [ -f "$dir/ngx_http_brotli_filter_module.so" ]; then
        echo "load_module $dir/ngx_http_brotli_filter_module.so;" >"$out/modules-enabled/brotli.conf"
        cp "$here/optional/brotli.conf" "$out/conf.d/brotli.conf"
        break
    fi
done
