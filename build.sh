#!/usr/bin/env bash
# build.sh: installs what is missing (Debian packages), builds hrsync, and runs the demo or
# every test.
#
#   ./build.sh demo    install, build, run `hrsync demo` (the sample company into the simulator)
#   ./build.sh test    install, build (plain and ASan/UBSan), run all C unit tests and busted specs
#   ./build.sh build   install and build only
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config ca-certificates
          liblua5.4-dev lua5.4 lua-cjson lua-busted
          libcurl4-openssl-dev libsqlite3-dev libjansson-dev libmicrohttpd-dev libssl-dev
          libcmocka-dev)

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() { # build DIR [cmake options…]
    local dir=$1; shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)"
}

cmd=${1:-demo}
case "$cmd" in
    demo)
        install_missing
        build build
        ./build/hrsync demo ;;
    test)
        install_missing
        build build
        ctest --test-dir build --output-on-failure
        echo "== the same tests under AddressSanitizer and UndefinedBehaviorSanitizer =="
        build build-asan -DHRSYNC_SANITIZE=ON
        ctest --test-dir build-asan --output-on-failure ;;
    build)
        install_missing
        build build ;;
    *)
        echo "usage: ./build.sh demo|test|build" >&2
        exit 64 ;;
esac
