# Sourced by scripts/image-check: what building and running rolehop for both image
# architectures needs on an x86_64 or aarch64 Debian machine, installed when missing.
#   musl-tools        musl-gcc, the C compiler for aws-lc-sys in the native build
#   buildah, jq       assemble the images and the image index without a container engine, and
#                     read the index back
#   qemu-user-static  runs the other architecture's binary (qemu-aarch64-static here)
#   .tools/zig        zig and cargo-zigbuild from PyPI (docker/zig-requirements.txt): the cross
#                     build's C compiler and linker (scripts/musl-build says why)
# plus the two Rust musl targets.

rolehop_cross_tools() {
    local need_apt=() emulator
    emulator="qemu-$(rolehop_other_machine)-static"
    command -v musl-gcc >/dev/null || need_apt+=(musl-tools)
    command -v buildah >/dev/null || need_apt+=(buildah)
    command -v jq >/dev/null || need_apt+=(jq)
    command -v "$emulator" >/dev/null || need_apt+=(qemu-user-static)
    if [ ${#need_apt[@]} -gt 0 ]; then
        echo "scripts/cross-tools.sh: installing ${need_apt[*]} from Debian" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"; } >/dev/null || {
            echo "scripts/cross-tools.sh: apt-get could not install ${need_apt[*]}; install them (as root) or run on Debian 12" >&2
            return 1
        }
    fi
    rolehop_venv zig docker/zig-requirements.txt "zig and cargo-zigbuild" || return 1
    export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/zig/bin:$PATH"
    local installed target
    installed=$(rustup target list --installed)
    for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
        grep -qx "$target" <<<"$installed" || rustup target add "$target"
    done
}

# The machine name (uname -m) of the image architecture this machine is not.
rolehop_other_machine() {
    case "$(uname -m)" in
        x86_64) echo aarch64 ;;
        aarch64) echo x86_64 ;;
        *) echo "scripts/cross-tools.sh: images are built on x86_64 or aarch64, not $(uname -m)" >&2; return 1 ;;
    esac
}

source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
rolehop_cross_tools
