"""Time one training step and one validation pass through each training kernel.

    /usr/bin/python3 Models/time_kernels.py [--hidden 32] [--batch 48] [--repeats 10]

A training step here is what fit.py (train.py, capture.py) does per update: the model's forward pass over a
[batch, 512, 3] chunk (overdrive: audio and two knobs) from a carried state, the loss, the
backward pass. A validation pass is the model over 135 rows of 4,800 samples without
gradients (a tenth of the overdrive's validation). Prints the median of `--repeats` runs, in
milliseconds, for `torch` (nn.LSTM) and `fast` (fast_lstm.cpp), single-threaded as training.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fit  # noqa: E402
from torchamp import TorchAmpLSTM  # noqa: E402


def median_ms(function, repeats):
    function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--batch", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = TorchAmpLSTM(hidden=args.hidden, layers=args.layers, knobs=["drive", "tone"])
    x = torch.randn(args.batch, fit.CHUNK, 3) * 0.3
    y = torch.randn(args.batch, fit.CHUNK) * 0.3
    weights = fit.row_weights(y)
    h, c = (s + 0.1 for s in model.initial_state(args.batch))
    x_val = torch.randn(135, 4800, 3) * 0.3
    print(f"LSTM {args.layers}x{args.hidden}, batch {args.batch} x {fit.CHUNK} samples, one thread")
    for kernel in fit.KERNELS:
        forward = fit.forward_with(kernel)

        def step():
            prediction, _, _ = forward(model, x, h, c)
            model.zero_grad()
            fit.training_loss(prediction[:, :, 0], y, weights).backward()

        step_ms = median_ms(step, args.repeats)
        validation_ms = median_ms(lambda: fit.run(model, x_val, forward=forward), max(1, args.repeats // 3))
        print(f"{kernel:>6}: training step {step_ms:7.1f} ms ({1000 / step_ms:5.1f} steps/s), "
              f"validation pass {validation_ms:7.1f} ms")


if __name__ == "__main__":
    main()
