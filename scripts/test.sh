#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests drive (tmux, for the interactive client;
# PostgreSQL, through scripts/with-postgres.sh), builds everything (the `fastchat` binary included: the CLI tests run
# it) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null; then
    echo "Installing tmux (the interactive-client tests drive fastchat chat through it)..." >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
    fi
fi

swift build --build-tests

# Bounded parallelism, so a run's duration and each test's share of the machine stay stable on 2 busy cores: Swift
# Testing runs at most this many test cases at once (its own setting; unbounded, every test starts at once and each
# lasts as long as the whole run), and the heavy suites (process clusters, PostgreSQL restarts, bench runs; the
# `.heavy` trait in Tests/IntegrationTests/Support/HeavyTests.swift) take turns among themselves.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-4}"
# The store and integration tests run against SQLite always and against PostgreSQL when FASTCHAT_TEST_POSTGRES_URL is
# set: the tests run with a throwaway server (installed first if missing) that is removed afterwards, even when tests fail.
exec scripts/with-postgres.sh swift test --skip-build "$@"
