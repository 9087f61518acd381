#!/usr/bin/env bash
# Sets up lavapipe (Mesa's software Vulkan driver) in a private folder, for testing the webgpu backend
# on a machine without a GPU. Debian bookworm's own lavapipe (Mesa 22.3) is refused by Dawn
# (shaderUniform*ArrayDynamicIndexing missing), so mesa-vulkan-drivers and the libdrm it needs come
# from bookworm-backports, and the Vulkan loader (libvulkan1) from bookworm when the system lacks it.
# Packages are fetched with `apt-get download` under a private apt configuration and unpacked with
# `dpkg -x`: the system's apt sources and installed packages are left as they are.
#
# Usage: scripts/setup-lavapipe.sh [DIR]   (default $COKNIGHT_LAVAPIPE_DIR or ~/.cache/coknight/lavapipe;
# $COKNIGHT_DEBIAN_MIRROR replaces http://deb.debian.org/debian)
# Writes DIR/env.sh, which exports VK_DRIVER_FILES, VK_ICD_FILENAMES, LD_LIBRARY_PATH and a private
# XDG_RUNTIME_DIR; `. DIR/env.sh` before starting node. Does nothing when DIR/env.sh already exists.
# Exit status: 0 ready, 2 the archive could not be reached (the message says why), 1 anything else.
set -euo pipefail
dir="${1:-${COKNIGHT_LAVAPIPE_DIR:-$HOME/.cache/coknight/lavapipe}}"
if [ -f "$dir/env.sh" ]; then
  echo "lavapipe: ready in $dir"
  exit 0
fi
command -v apt-get >/dev/null && command -v dpkg >/dev/null || {
  echo "lavapipe: needs apt-get and dpkg (Debian or Ubuntu)" >&2
  exit 1
}
[ "$(dpkg --print-architecture)" = amd64 ] || {
  echo "lavapipe: only set up for amd64, this is $(dpkg --print-architecture)" >&2
  exit 1
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/state/lists/partial" "$work/cache/archives/partial" "$work/debs"
mirror="${COKNIGHT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cat >"$work/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-backports main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State=$work/state" -o "Dir::Cache=$work/cache" -o Dir::State::status=/var/lib/dpkg/status
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Retries=2 -o Acquire::http::Timeout=20)

if ! apt-get "${apt_opts[@]}" update -qq >"$work/update.log" 2>&1 || grep -q '^\(W\|E\): Failed to fetch' "$work/update.log"; then
  echo "lavapipe: cannot reach the Debian archive ($mirror bookworm, bookworm-backports): $(grep -m1 -o 'Failed to fetch.*\|Could not.*\|Temporary failure.*' "$work/update.log" || tail -n1 "$work/update.log")" >&2
  exit 2
fi

# The driver and the libdrm it was built against from backports; the loader only when missing.
pkgs=(mesa-vulkan-drivers/bookworm-backports libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports)
dpkg-query -W -f='${Status}' libvulkan1 2>/dev/null | grep -q 'ok installed' || pkgs+=(libvulkan1/bookworm)
# Any other dependency of the driver that is not installed (on a stock bookworm image: none).
deps="$(apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests mesa-vulkan-drivers/bookworm-backports 2>/dev/null |
  sed -n 's/^ *Depends: \([a-z0-9.+-]*\).*/\1/p' | sort -u)"
for d in $deps; do
  case "$d" in libc6 | libgcc-s1 | libstdc++6 | libvulkan1 | libdrm2 | libdrm-amdgpu1) continue ;; esac
  dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q 'ok installed' || pkgs+=("$d/bookworm")
done
if ! (cd "$work/debs" && apt-get "${apt_opts[@]}" download -qq "${pkgs[@]}") >"$work/download.log" 2>&1; then
  echo "lavapipe: apt-get download ${pkgs[*]} failed: $(tail -n1 "$work/download.log")" >&2
  grep -q 'Failed to fetch\|Could not resolve\|Temporary failure' "$work/download.log" && exit 2
  exit 1
fi

stage="$dir.tmp.$$"
rm -rf "$stage"
mkdir -p "$stage/root" "$stage/run"
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$stage/root"; done
lib="$stage/root/usr/lib/x86_64-linux-gnu"
[ -f "$lib/libvulkan_lvp.so" ] || {
  echo "lavapipe: mesa-vulkan-drivers holds no libvulkan_lvp.so" >&2
  exit 1
}
final_lib="$dir/root/usr/lib/x86_64-linux-gnu"
# The package's ICD file names the driver by its system path; point it into the private folder.
icd="$stage/root/usr/share/vulkan/icd.d/lvp_icd.json"
[ -f "$icd" ] || icd="$(ls "$stage"/root/usr/share/vulkan/icd.d/lvp_icd*.json | head -n1)"
sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$final_lib/libvulkan_lvp.so\"#" "$icd" >"$stage/lvp_icd.json"
grep -q "$final_lib/libvulkan_lvp.so" "$stage/lvp_icd.json" || {
  echo "lavapipe: could not rewrite library_path in $icd" >&2
  exit 1
}
cat >"$stage/env.sh" <<EOF
# Written by scripts/setup-lavapipe.sh: source before starting node to give Dawn the lavapipe adapter.
export VK_DRIVER_FILES="$dir/lvp_icd.json"
export VK_ICD_FILENAMES="$dir/lvp_icd.json"
export LD_LIBRARY_PATH="$final_lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR="$dir/run"
export COKNIGHT_LAVAPIPE=1
EOF
chmod 700 "$stage/run"
ls "$work"/debs | sed 's/^/lavapipe: unpacked /'
[ -e "$lib/libvulkan.so.1" ] || echo "lavapipe: using the system's Vulkan loader"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$stage" "$dir"
echo "lavapipe: ready in $dir"
