#!/usr/bin/env bash
# Installs, removes or packages the built plugin (make install / uninstall / dist).
#   scripts/install.sh install   BUILD_DIR   copies the VST3 and LV2 bundles to ~/.vst3 and ~/.lv2, the
#                                            Standalone app and the tools to ~/.local/lib/torchamp with
#                                            links in ~/.local/bin (with PREFIX=/usr/local: PREFIX/lib/vst3,
#                                            PREFIX/lib/lv2, PREFIX/lib/torchamp and PREFIX/bin)
#   scripts/install.sh uninstall BUILD_DIR   removes exactly what install copied
#   scripts/install.sh dist      BUILD_DIR   writes BUILD_DIR/dist/TorchAmp-VERSION-linux-ARCH-{vst3,lv2,standalone}.tar.gz
# Every plugin binary carries TorchAmpLibTorch.so beside it: LibTorch itself is loaded from the
# system only when a model needs it (see README.md, "LibTorch on demand").
set -euo pipefail
action=${1:?usage: scripts/install.sh install|uninstall|dist BUILD_DIR}
build=${2:?usage: scripts/install.sh install|uninstall|dist BUILD_DIR}
artefacts="$build/Source/Plugin/TorchAmp_artefacts/Release"
tools=(torchamp-render torchamp-inspect)

if [ -n "${PREFIX:-}" ]; then
    vst3_dir="$PREFIX/lib/vst3" lv2_dir="$PREFIX/lib/lv2" app_dir="$PREFIX/lib/torchamp" bin_dir="$PREFIX/bin"
else
    vst3_dir="$HOME/.vst3" lv2_dir="$HOME/.lv2" app_dir="$HOME/.local/lib/torchamp" bin_dir="$HOME/.local/bin"
fi

need() { [ -e "$1" ] || { echo "install: $1 is missing; build first (make)" >&2; exit 1; }; }
if [ "$action" != uninstall ]; then
    need "$artefacts/VST3/TorchAmp.vst3"
    need "$artefacts/LV2/TorchAmp.lv2"
    need "$artefacts/Standalone/TorchAmp"
    for t in "${tools[@]}"; do need "$build/bin/$t"; done
    need "$build/bin/TorchAmpLibTorch.so"
fi

case "$action" in
install)
    mkdir -p "$vst3_dir" "$lv2_dir" "$app_dir" "$bin_dir"
    rm -rf "$vst3_dir/TorchAmp.vst3" "$lv2_dir/TorchAmp.lv2"
    cp -r "$artefacts/VST3/TorchAmp.vst3" "$vst3_dir/"
    cp -r "$artefacts/LV2/TorchAmp.lv2" "$lv2_dir/"
    cp "$artefacts/Standalone/TorchAmp" "$build/bin/TorchAmpLibTorch.so" "$app_dir/"
    for t in "${tools[@]}"; do cp "$build/bin/$t" "$app_dir/"; done
    # Links, not copies: each program finds TorchAmpLibTorch.so beside its real path.
    for program in TorchAmp "${tools[@]}"; do ln -sfn "$app_dir/$program" "$bin_dir/$program"; done
    echo "installed: $vst3_dir/TorchAmp.vst3, $lv2_dir/TorchAmp.lv2, $bin_dir/{TorchAmp,${tools[*]// /,}}"
    ;;
uninstall)
    rm -rf "$vst3_dir/TorchAmp.vst3" "$lv2_dir/TorchAmp.lv2" "$app_dir"
    for program in TorchAmp "${tools[@]}"; do
        [ -L "$bin_dir/$program" ] && rm -f "$bin_dir/$program"
    done
    echo "removed TorchAmp from $vst3_dir, $lv2_dir, $app_dir and $bin_dir"
    ;;
dist)
    version=$(sed -n 's/^project(TorchAmp VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
    stem="TorchAmp-$version-linux-$(uname -m)"
    out="$build/dist" stage="$build/dist/stage"
    rm -rf "$out" && mkdir -p "$stage"
    note() {
        cat > "$1/README-TorchAmp.txt" <<TEXT
TorchAmp $version for Linux ($(uname -m)): $2

Unpack into $3. The plugin needs no other library for the models it reads natively
(TorchAmp's own TorchScript files, Neural Amp Modeler .nam, AIDA-X, GuitarML and RTNeural files).
LibTorch 1.13 is needed only for TorchScript files that are not TorchAmp's contract, for the
LibTorch engine (A/B listening) and for comparing a model with LibTorch; TorchAmpLibTorch.so,
beside the plugin's binary, loads it when it is installed (Debian or Ubuntu:
sudo apt install libtorch1.13). Without it the plugin says what needs it.
TEXT
    }
    mkdir -p "$stage/vst3" "$stage/lv2" "$stage/standalone/$stem"
    cp -r "$artefacts/VST3/TorchAmp.vst3" "$stage/vst3/"
    note "$stage/vst3/TorchAmp.vst3" "VST3 plugin" "~/.vst3 (or /usr/lib/vst3)"
    cp -r "$artefacts/LV2/TorchAmp.lv2" "$stage/lv2/"
    note "$stage/lv2/TorchAmp.lv2" "LV2 plugin" "~/.lv2 (or /usr/lib/lv2)"
    cp "$artefacts/Standalone/TorchAmp" "$build/bin/TorchAmpLibTorch.so" "$stage/standalone/$stem/"
    for t in "${tools[@]}"; do cp "$build/bin/$t" "$stage/standalone/$stem/"; done
    note "$stage/standalone/$stem" "Standalone app and command-line tools" "any folder; run ./TorchAmp"
    tar -C "$stage/vst3" -czf "$out/$stem-vst3.tar.gz" TorchAmp.vst3
    tar -C "$stage/lv2" -czf "$out/$stem-lv2.tar.gz" TorchAmp.lv2
    tar -C "$stage/standalone" -czf "$out/$stem-standalone.tar.gz" "$stem"
    rm -rf "$stage"
    ls -la "$out"
    ;;
*)
    echo "usage: scripts/install.sh install|uninstall|dist BUILD_DIR" >&2; exit 2
    ;;
esac
