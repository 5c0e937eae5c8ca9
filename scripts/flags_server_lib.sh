# Shared by the flag figure scripts (source it): builds the release examples, makes a
# scratch directory removed on exit, and starts and stops a fresh `flags_server` on a
# free port. Sets $bin, $work, and, while a server runs, $server (its pid) and $port.
CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1} cargo build --release --examples --quiet
bin=$PWD/target/release/examples
work=$(mktemp -d)
server=
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# start_server ARGS...: its stdout goes to $work/server.out, stderr to $work/server.log.
start_server() {
    : >"$work/server.out" # truncate here: the background redirection may come late
    "$bin/flags_server" --port 0 "$@" >"$work/server.out" 2>"$work/server.log" &
    server=$!
    for _ in $(seq 100); do
        grep -q '^Serving HTTP' "$work/server.out" && break
        sleep 0.1
    done
    port=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p' "$work/server.out")
}

stop_server() {
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
}
