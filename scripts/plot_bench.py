#!/usr/bin/python3
"""Plots ns/sample against hidden size per engine from torchamp-bench's JSON.

usage: /usr/bin/python3 scripts/plot_bench.py BENCH.json OUT.png [--block 128] [--layers 1] [--channels 1]
"""
import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json")
    parser.add_argument("png")
    parser.add_argument("--block", type=int, default=128)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--channels", type=int, default=1)
    args = parser.parse_args()

    with open(args.json) as f:
        bench = json.load(f)
    rows = [r for r in bench["results"]
            if r["block"] == args.block and r["layers"] == args.layers and r["channels"] == args.channels]
    if not rows:
        raise SystemExit(f"{args.json}: no results for block {args.block}, {args.layers} layer(s), "
                         f"{args.channels} channel(s)")

    fig, ax = plt.subplots(figsize=(8, 5))
    for engine in sorted({r["engine"] for r in rows}, key=lambda e: (e == "libtorch", e)):
        points = sorted((r["hidden"], r["ns_per_sample"]) for r in rows if r["engine"] == engine)
        label = f"native, dispatched ({bench['machine']['dispatched']})" if engine == "native" else engine
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                linewidth=2.5 if engine == "native" else 1.2, label=label)
    # The floor: one layer's multiply-adds, 4H x (H + 1) per sample, at the FMA rate torchamp-bench
    # measured on this CPU; no engine runs below it (before any activation).
    machine = bench["machine"]
    lanes = max(machine.get("fma_lanes_per_cycle_avx512", 0), machine.get("fma_lanes_per_cycle_avx2", 0))
    if lanes > 0 and machine.get("busy_ghz", 0) > 0 and args.layers == 1:
        hiddens = sorted({r["hidden"] for r in rows})
        ax.plot(hiddens, [args.channels * 4 * h * (h + 1) / lanes / machine["busy_ghz"] for h in hiddens],
                color="black", linestyle=":", linewidth=1.2,
                label=f"floor: multiply-adds at {lanes:.0f} per cycle, {machine['busy_ghz']:.2f} GHz")
    # One sample at 48 kHz lasts 20,833 ns: above that line an engine cannot keep up.
    ax.axhline(1e9 / bench["sample_rate"], color="grey", linestyle="--", linewidth=1)
    ax.text(8, 1e9 / bench["sample_rate"] * 1.1, "real time at 48 kHz", color="grey")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sorted({r["hidden"] for r in rows}))
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("LSTM hidden size")
    ax.set_ylabel("ns per sample (median, lower is faster)")
    ch = "mono" if args.channels == 1 else f"{args.channels} channels"
    ax.set_title(f"TorchAmp engines: LSTM {args.layers} layer(s), {ch}, {args.block}-sample blocks\n"
                 f"{bench['machine']['cpu']}, {bench['machine']['cores']} cores, load {bench['machine']['load_before'][:14]}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.png, dpi=120)
    print(args.png)


if __name__ == "__main__":
    main()
