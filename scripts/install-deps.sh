#!/usr/bin/env bash
# Installs the Debian 12 packages TorchAmp builds and tests with, only those that are missing.
# Idempotent: a second run installs nothing and takes about a second.
# usage: scripts/install-deps.sh [--rtsan]   (--rtsan adds clang-22, its sanitizer runtimes and llvm-symbolizer)
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config
    juce-modules-source juce-tools
    libtorch-dev python3-torch python3-numpy python3-scipy python3-matplotlib python3-tqdm
    libgtest-dev libbenchmark-dev libeigen3-dev libxsimd-dev nlohmann-json3-dev zlib1g-dev
    # FLAC impulse responses: the static libFLAC (and libogg) are linked into the plugin
    libflac-dev libogg-dev
    # JUCE's Linux dependencies (GUI, audio, fonts) for the plugin and the Standalone app
    libasound2-dev libjack-jackd2-dev libfreetype-dev libfontconfig1-dev libx11-dev libxcomposite-dev
    libxcursor-dev libxext-dev libxinerama-dev libxrandr-dev libxrender-dev libgl-dev
    lv2-dev lilv-utils sox xvfb xauth
)
if [[ "${1:-}" == "--rtsan" ]]; then
    packages+=(clang-22 libclang-rt-22-dev llvm)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[[ "$(id -u)" -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    # A fresh machine has no package lists yet: update once, then try again.
    $sudo apt-get update >&2
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
