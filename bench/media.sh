#!/usr/bin/env bash
# The media benchmark (docs/benchmarks.md): a 14.7-megapixel JPEG (5120×2880) to a 1600 px
# lossy WebP at quality 80, in one run:
#   - the media component, called through the host's component boundary (cargo bench);
#   - `cwebp -q 80 -resize 1600 0` (Debian's webp: libwebp decoding, resizing, encoding);
#   - Sharp 0.34.5 (the seed stack's library, from npm: libvips), resize + WebP q80.
# Each is timed as the median of 5 runs on one thread; each output's SSIM is measured
# against the source resized to 1600 px by ImageMagick (a third resizer, for neutrality).
# The photo: the "SafeLanding" wallpaper of Debian's plasma-workspace-wallpapers (a painted
# illustration with photographic texture), fetched from the Debian archive once.
# Needs cwebp, ImageMagick, hyperfine and Node.js (installed from Debian when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

. bench/need.sh
need cwebp webp
need convert imagemagick
need hyperfine hyperfine
need node nodejs
need npm npm

cache="${XDG_CACHE_HOME:-$HOME/.cache}/shop/bench"
input="$cache/safelanding-5120x2880.jpg"
mkdir -p "$cache"
if [ ! -s "$input" ]; then
    echo "bench: fetching plasma-workspace-wallpapers from the Debian archive (once)" >&2
    download=$(mktemp -d)
    (cd "$download" && apt-get download -qq plasma-workspace-wallpapers)
    dpkg-deb --fsys-tarfile "$download"/plasma-workspace-wallpapers_*.deb \
        | tar -xO ./usr/share/wallpapers/SafeLanding/contents/images/5120x2880.jpg > "$input"
    rm -rf "$download"
fi

work=$(mktemp -d /tmp/shop-media-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
convert "$input" -resize 1600x "$work/reference.png"

cwebp -quiet -q 80 -resize 1600 0 "$input" -o "$work/cwebp.webp"
hyperfine --runs 5 --warmup 1 --style none --export-json "$work/cwebp.json" \
    "cwebp -quiet -q 80 -resize 1600 0 '$input' -o '$work/cwebp.webp'" >/dev/null
cwebp_ms=$(node -e "console.log((require('$work/cwebp.json').results[0].median * 1000).toFixed(1))")

# --ignore-scripts: Sharp's prebuilt libvips comes as an npm package; no script is needed.
(cd bench/sharp && npm ci --ignore-scripts --no-audit --no-fund --silent)
sharp_ms=$(node bench/sharp/resize.mjs "$input" "$work/sharp.webp" 5)

BENCH_MEDIA_INPUT="$input" BENCH_MEDIA_DIR="$work" BENCH_MEDIA_CWEBP_MS="$cwebp_ms" BENCH_MEDIA_SHARP_MS="$sharp_ms" \
    cargo bench -p shop-host --bench host -- media
