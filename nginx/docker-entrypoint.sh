#!/bin/sh
# The nginx container's start: a self-signed certificate when none is mounted (put a real
# one in the `tls` volume as cert.pem and key.pem), the configuration rendered from the
# NGINX_* variables, then nginx in the foreground.
set -eu
certs=/etc/shop-nginx/certs
if [ ! -s "$certs/cert.pem" ] || [ ! -s "$certs/key.pem" ]; then
    /etc/shop-nginx/make-cert.sh "$certs" "${NGINX_SERVER_NAME:-localhost}"
fi
export NGINX_TLS_CERT="${NGINX_TLS_CERT:-$certs/cert.pem}"
export NGINX_TLS_KEY="${NGINX_TLS_KEY:-$certs/key.pem}"
/etc/shop-nginx/render.sh /var/lib/shop-nginx
exec nginx -p /var/lib/shop-nginx -c /var/lib/shop-nginx/nginx.conf -g 'daemon off;'
