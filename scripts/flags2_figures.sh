#!/usr/bin/env bash
# The flags2 figures of docs/examples.md: the three flags2 clients (sequential, threads,
# asyncio) on all 194 flags (`-a`), against a DELAY server (0.5..5.0 s per GET, more
# than the 3.1 s timeout for some) and an ERROR server (a quarter of the GETs answer
# 418), with the same -m for the two concurrent clients.
#
# Each run gets a fresh server with the same --seed, so every client meets the same
# delays and errors in the same request order. A report, not a test: run it by hand on
# a quiet machine. The sequential client against DELAY takes several minutes.
# Usage: scripts/flags2_figures.sh [SEED]   (CONCUR=30 sets -m; CLIENTS and SERVERS
# pick a subset)
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-2024}
concur=${CONCUR:-30}
# shellcheck source=scripts/flags_server_lib.sh
. scripts/flags_server_lib.sh

server_args() {
    case $1 in
    DELAY) echo "--delay 0.5..5.0" ;;
    ERROR) echo "--error-rate 0.25" ;;
    esac
}

echo "| server | client | -m | downloaded | not found | errors | elapsed |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for label in ${SERVERS:-DELAY ERROR}; do
    for client in ${CLIENTS:-flags2_sequential flags2_threadpool flags2_asyncio}; do
        # shellcheck disable=SC2046 # the arguments split on purpose
        start_server --quiet --seed "$seed" $(server_args "$label")
        m=$concur
        [ "$client" = flags2_sequential ] && m=1
        (cd "$work" && "$bin/$client" -a -m "$m" --base-url "http://127.0.0.1:$port/flags") \
            >"$work/client.out" 2>/dev/null
        stop_server
        count() { n=$(sed -n "s/^ *\([0-9]*\) $1.*/\1/p" "$work/client.out" | head -1); echo "${n:-0}"; }
        elapsed=$(sed -n 's/^Elapsed time: \(.*\)$/\1/p' "$work/client.out")
        echo "| $label | \`$client\` | $m | $(count flag) | $(count 'not found') | $(count error) | $elapsed |"
        rm -rf "$work/downloaded"
    done
done
