# Sourced by scripts/test and scripts/fuzz: installs the cargo subcommands the checks need
# (cargo-deny, cargo-fuzz) from crates.io into .tools/cargo, once per pinned version, and puts
# them first on PATH. `cargo install` compiles from source: about 4 and 2.5 minutes on two
# cores, then nothing on later runs.

CARGO_TOOLS=(
    "cargo-deny 0.20.2"
    "cargo-fuzz 0.13.2"
)

rolehop_cargo_tools() {
    local root tools entry name version
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    tools="$root/.tools/cargo"
    for entry in "${CARGO_TOOLS[@]}"; do
        read -r name version <<<"$entry"
        if [ -x "$tools/bin/$name" ] && grep -q "\"$name $version " "$tools/.crates.toml" 2>/dev/null; then
            continue
        fi
        echo "scripts/cargo-tools.sh: installing $name $version into .tools/cargo (compiles from source)" >&2
        cargo install --quiet --locked --root "$tools" --version "$version" "$name" || {
            echo "scripts/cargo-tools.sh: cargo install $name failed; check access to crates.io" >&2
            return 1
        }
    done
    export PATH="$tools/bin:$PATH"
}
rolehop_cargo_tools
