#!/bin/sh
# Makes a self-signed certificate for local HTTPS: DIR/cert.pem and DIR/key.pem (ECDSA
# P-256, valid 825 days, for localhost, 127.0.0.1 and ::1, plus NAME when given). It is a
# leaf, not a CA (CA:FALSE, serverAuth), so clients that trust it directly (rustls) accept it.
# Browsers warn about it; production uses a certificate authority's (e.g. Let's Encrypt).
#
#   nginx/make-cert.sh nginx/certs [shop.example]
set -eu
dir=${1:?usage: make-cert.sh DIR [NAME]}
name=${2:-localhost}
command -v openssl >/dev/null 2>&1 || { echo "make-cert.sh: openssl is missing (Debian: apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj "/CN=$name" \
    -addext "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1,IP:::1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
chmod 600 "$dir/key.pem"
echo "make-cert.sh: wrote $dir/cert.pem and $dir/key.pem for $name"
