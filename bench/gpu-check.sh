#!/usr/bin/env bash
# GPU check of the webgpu backend (a few minutes): finds the Vulkan loader and the NVIDIA Vulkan
# driver (ICD), says which, prints the adapter Dawn picks, runs the webgpu-vs-wasm equality tests
# (test/backend.webgpu.test.ts) on it, then measures learner training frames/s of the IMPALA shallow
# and deep nets at T=20 x B=32 and batched tail inference samples/s at batch 1..256, with wasm
# measured in the same process as the peer (bench/learner-throughput.ts).
#
# Usage: bench/gpu-check.sh              on a machine with an NVIDIA GPU, after npm ci
#        bench/gpu-check.sh --lavapipe   the same on lavapipe (software Vulkan; proves the script end
#                                        to end without a GPU, on a smaller batch: numbers meaningless)
# Environment: COKNIGHT_VULKAN_LOADER_DIR  a folder holding libvulkan.so.1 when the system has none
#              COKNIGHT_LAVAPIPE_DIR       where scripts/setup-lavapipe.sh keeps lavapipe
set -euo pipefail
cd "$(dirname "$0")/.."
mode=nvidia
[ "${1:-}" = --lavapipe ] && mode=lavapipe
lvp="${COKNIGHT_LAVAPIPE_DIR:-$HOME/.cache/coknight/lavapipe}"
private="$(mktemp -d)"
trap 'rm -rf "$private"' EXIT
say() { echo "gpu-check: $*"; }

has_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || [ -e "/usr/lib/x86_64-linux-gnu/$1" ] || [ -e "/usr/lib64/$1" ]; }

if [ "$mode" = lavapipe ]; then
  scripts/setup-lavapipe.sh "$lvp" >/dev/null
  # shellcheck disable=SC1091
  . "$lvp/env.sh"
  say "Vulkan: lavapipe from $lvp (loader $(ls "$lvp"/root/usr/lib/x86_64-linux-gnu/libvulkan.so.1 2>/dev/null || echo 'of the system'))"
else
  # 1. the Vulkan loader: the system's, a given folder, lavapipe's unpacked copy, or Debian's package
  if has_lib libvulkan.so.1; then
    say "Vulkan loader: the system's ($(ldconfig -p | grep -m1 -o '/[^ ]*libvulkan.so.1' || echo libvulkan.so.1))"
  else
    dir=""
    for d in "${COKNIGHT_VULKAN_LOADER_DIR:-}" "$lvp/root/usr/lib/x86_64-linux-gnu"; do
      if [ -n "$d" ] && [ -e "$d/libvulkan.so.1" ]; then
        dir="$d"
        break
      fi
    done
    if [ -z "$dir" ] && command -v apt-get >/dev/null; then
      mkdir -p "$private/apt/state/lists/partial" "$private/apt/cache/archives/partial" "$private/debs"
      echo "deb ${COKNIGHT_DEBIAN_MIRROR:-http://deb.debian.org/debian} bookworm main" >"$private/apt/sources.list"
      o=(-o "Dir::Etc::SourceList=$private/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State=$private/apt/state"
        -o "Dir::Cache=$private/apt/cache" -o Dir::State::status=/var/lib/dpkg/status -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
      if apt-get "${o[@]}" update -qq >/dev/null 2>&1 && (cd "$private/debs" && apt-get "${o[@]}" download -qq libvulkan1 >/dev/null 2>&1); then
        dpkg -x "$private"/debs/libvulkan1_*.deb "$private/root"
        dir="$private/root/usr/lib/x86_64-linux-gnu"
      fi
    fi
    if [ -z "$dir" ]; then
      say "no Vulkan loader (libvulkan.so.1): install libvulkan1, or set COKNIGHT_VULKAN_LOADER_DIR, or run scripts/setup-lavapipe.sh once where the Debian archive is reachable (it keeps a copy)" >&2
      exit 1
    fi
    export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    say "Vulkan loader: brought from $dir"
  fi
  # 2. the NVIDIA ICD: its json where the driver installed one, else a private one naming the library
  icd=""
  for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json; do
    if [ -f "$f" ]; then
      icd="$f"
      break
    fi
  done
  if [ -n "$icd" ]; then
    say "NVIDIA ICD: $icd"
  elif has_lib libGLX_nvidia.so.0; then
    icd="$private/nvidia_icd.json"
    echo '{ "file_format_version": "1.0.1", "ICD": { "library_path": "libGLX_nvidia.so.0", "api_version": "1.3.0" } }' >"$icd"
    say "NVIDIA ICD: none installed; wrote $icd for the driver's libGLX_nvidia.so.0"
  else
    say "no NVIDIA Vulkan driver: neither an nvidia_icd.json nor libGLX_nvidia.so.0 (in a container, NVIDIA_DRIVER_CAPABILITIES must include graphics)" >&2
    exit 1
  fi
  export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$private}"
fi

say "adapter:"
node --input-type=module -e "
  const { initBackend } = await import('./dist/backend/index.js');
  const info = await initBackend({ prefer: 'webgpu', gradients: false, log: (m) => console.log('  ' + m) });
  console.log('  ' + JSON.stringify(info.adapter));"

say "equality tests (webgpu against wasm):"
if [ "$mode" = lavapipe ]; then
  npx vitest run test/backend.webgpu.test.ts
else
  COKNIGHT_WEBGPU_TEST=system npx vitest run test/backend.webgpu.test.ts
fi

say "throughput (webgpu, with wasm as the peer in the same process):"
if [ "$mode" = lavapipe ]; then
  # lavapipe is ~30x slower than wasm: a small batch, only to show the path works
  npx tsx bench/learner-throughput.ts --backends webgpu,wasm --nets impala-shallow,impala-deep --batches 1,4 --unroll 5 --batch 2 --reps 1
else
  npx tsx bench/learner-throughput.ts --backends webgpu,wasm --nets impala-shallow,impala-deep --batches 1,2,4,8,16,32,64,128,256 --unroll 20 --batch 32 --reps 3
fi
