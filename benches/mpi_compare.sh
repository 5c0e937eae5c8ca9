#!/usr/bin/env bash
# MpiPoolExecutor vs mpi4py.futures on the same Open MPI, 2 worker ranks (mpirun -n 3),
# loopback; then the raw MPI ping-pong (the floor) and our throughput by worker ranks.
#   benches/mpi_compare.sh            # needs openmpi-bin, libopenmpi-dev, python3-mpi4py
#   ROUNDS=3 benches/mpi_compare.sh   # each figure the median of 3 launches
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl="${OMPI_MCA_btl:-self,vader,tcp}"
ROUNDS="${ROUNDS:-3}"
PYTHON=/usr/bin/python3 # Debian's, which has python3-mpi4py

bench=$(cargo bench --features mpi --bench mpi_pool --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*mpi_pool[^"]*\)".*/\1/p' | tail -1)

# The median of ROUNDS runs of a command that prints "<mode> <figure> <unit>".
median_of() {
    for _ in $(seq "$ROUNDS"); do timeout 300 "$@" 2>/dev/null | tail -1; done |
        sort -k2 -g | awk '{ lines[NR] = $0 } END { print lines[int((NR + 1) / 2)] }'
}

echo "| measure | concurrent-futures | mpi4py.futures |"
echo "|---|---:|---:|"
for mode in round-trip throughput map; do
    ours=$(median_of mpirun -n 3 "$bench" "$mode")
    theirs=$(median_of mpirun -n 3 "$PYTHON" -m mpi4py.futures benches/mpi4py_bench.py "$mode")
    echo "| $mode | ${ours#* } | ${theirs#* } |"
done
echo
echo "raw MPI ping-pong, 2 ranks: $(median_of mpirun -n 2 "$bench" ping-pong | cut -d' ' -f2-)"
echo "raw MPI ping-pong over tcp: $(OMPI_MCA_btl=self,tcp median_of mpirun -n 2 "$bench" ping-pong | cut -d' ' -f2-)"
echo
echo "| worker ranks | tasks/s (1 ms CPU tasks) |"
echo "|---:|---:|"
for ranks in 1 2 3 4 5 6 7 8; do
    echo "| $ranks | $(median_of mpirun -n $((ranks + 1)) "$bench" scaling | cut -d' ' -f2) |"
done
