#!/usr/bin/env bash
# The figures of docs/examples.md, "Flag downloaders": 20 flags against a DELAY server
# (0.5..5.0 s per GET), sequential (`flags`) versus threads (`flags_threadpool`).
#
# Each client gets a fresh server with the same --seed, so both draw the same 20 delays
# (the n-th request gets the n-th delay): the sequential time should be about their sum,
# the thread pool's about the largest one. A report, not a test: run it by hand on a
# quiet machine. Usage: scripts/flags_figures.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-2024}
# shellcheck source=scripts/flags_server_lib.sh
. scripts/flags_server_lib.sh

echo "| client | elapsed | sum of the 20 delays | largest delay |"
echo "| --- | ---: | ---: | ---: |"
for client in ${CLIENTS:-flags flags_threadpool}; do
    start_server --delay 0.5..5.0 --seed "$seed"
    (cd "$work" && "$bin/$client" --base-url "http://127.0.0.1:$port/flags") >"$work/client.out"
    stop_server
    elapsed=$(sed -n 's/^20 downloads in \(.*\)s$/\1/p' "$work/client.out")
    sed -n 's/.*(delayed \([0-9.]*\)s)$/\1/p' "$work/server.log" | awk -v client="$client" \
        -v elapsed="$elapsed" '{ sum += $1; if ($1 > max) max = $1; n++ }
        END { printf "| `%s` | %s s | %.2f s (%d requests) | %.2f s |\n", client, elapsed, sum, n, max }'
done
