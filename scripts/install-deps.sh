#!/usr/bin/env bash
# Installs the Debian packages tessera needs, only those missing. Idempotent and quiet
# when everything is there; runs `apt-get update` once, and only when it must install.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgtest-dev libbenchmark-dev libcli11-dev pybind11-dev
  python3-dev python3-venv python3-numpy python3-scipy python3-numexpr
  python3-pytest python3-hypothesis
  # tessera.dask and its cluster tests
  python3-dask python3-distributed python3-zarr
  # peers measured beside tessera in `make bench` and `make demo`
  python3-opencv libvips-tools libvips-dev python3-tifffile python3-pil python3-numba
  # TIFF input and output; libtiff's tools and GDAL write test files
  libtiff-dev libtiff-tools gdal-bin python3-gdal
  # PNG (libpng), JPEG (libjpeg-turbo), animations: GIF (giflib) and APNG (libpng, zlib)
  libgif-dev libpng-dev zlib1g-dev libjpeg-dev
  # peak RSS of a command, in `make bench`
  time
)
# Extra tools of the checking targets: `install-deps.sh fuzz` (make fuzz:
# clang's libFuzzer).
if [ "${1:-}" = fuzz ]; then
  packages+=(clang libclang-rt-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "tessera: missing Debian packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi
echo "tessera: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
