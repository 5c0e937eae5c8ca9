"""mpi4py.futures figures, the counterpart of benches/mpi_pool.rs (run by
benches/mpi_compare.sh): mpirun -n 3 python3 -m mpi4py.futures benches/mpi4py_bench.py MODE
"""
import statistics
import sys
import time

from mpi4py.futures import MPIPoolExecutor, as_completed


def noop(n):
    return n


def busy(n):
    x = n
    for _ in range(400_000 // 50):  # Python is ~50x slower per step: about as long
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return x


def submits_per_second(pool, tasks, task):
    start = time.perf_counter()
    futures = [pool.submit(task, n) for n in range(tasks)]
    for fut in as_completed(futures):
        fut.result()
    return tasks / (time.perf_counter() - start)


def main():
    mode = sys.argv[1]
    with MPIPoolExecutor() as pool:
        if mode == "round-trip":
            for _ in range(200):
                pool.submit(noop, 1).result()
            times = []
            for _ in range(2_000):
                start = time.perf_counter()
                pool.submit(noop, 1).result()
                times.append(time.perf_counter() - start)
            print(f"round-trip {statistics.median(times) * 1e6:.1f} us")
        elif mode == "throughput":
            submits_per_second(pool, 2_000, noop)
            rates = [submits_per_second(pool, 20_000, noop) for _ in range(3)]
            print(f"throughput {statistics.median(rates):.0f} tasks/s")
        elif mode == "map":
            rates = []
            for _ in range(3):
                start = time.perf_counter()
                sum(pool.map(noop, range(1_000_000), chunksize=1_000))
                rates.append(1e6 / (time.perf_counter() - start))
            print(f"map {statistics.median(rates) / 1e6:.2f} M items/s")


if __name__ == "__main__":
    main()
