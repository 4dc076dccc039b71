"""PyTorch's profile of the `unet-32` bench step, op by op, to set beside ours
(`bench/NOTES.md`, "The U-Net step, op by op"): the same model and step as `bench.py`
(`build_unet_32`), on the CPU with the same thread count, through `torch.profiler`.

    python3 bench/pytorch/profile_unet.py [--threads 2] [--steps 20] [--rows 30]

Prints the median step time without the profiler, then the profiler's table of the ops by
their own CPU time (`self_cpu_time_total`) over `--steps` steps, per step.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

import bench  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rows", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device("cpu")
    workload = bench.build_unet_32(device)
    for _ in range(args.warmup):
        workload.step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        workload.step()
        times.append((time.perf_counter() - start) * 1e3)
    print(f"torch {torch.__version__}, {args.threads} threads, batch {workload.batch}: "
          f"median step {statistics.median(times):.1f} ms over {args.steps} steps")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(args.steps):
            workload.step()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows)
    print(f"ops by own CPU time, totals over {args.steps} profiled steps:")
    print(table)


if __name__ == "__main__":
    main()
