"""Train a TorchAmp LSTM on a simulated target and write the model plus a report.

    /usr/bin/python3 Models/train.py diode_clipper --hidden 24 --layers 1 --material capture \\
        --steps 20000 --seed 1 --out MyClipper.pt --report MyClipper

The simulated target plays the role of the gear; the training machinery (loss, validation,
training loop, plots) is fit.py's, shared with capture.py. Knob settings are drawn per training
segment and fed as extra input channels, so one model covers the whole range of each knob.
The model is scored on a held-out part of its own material and on testsignal.py's playing, a
generator no training uses.
"""

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import capture_signal  # noqa: E402
import fit  # noqa: E402
import signals  # noqa: E402
import targets  # noqa: E402
import testsignal  # noqa: E402
from fit import (CHUNKS_PER_SEGMENT, KERNELS, PRE_EMPHASIS, SEGMENT, VALIDATION_ROW_SECONDS,  # noqa: E402,F401
                 esr, model_input, run)
from torchamp import export  # noqa: E402

MATERIALS = ("synthetic", "capture")


def knob_grid(count: int, values=None):
    """Knob settings the model is scored at: 5 per knob alone, 3 per knob in combination."""
    values = values or ([0.0, 0.25, 0.5, 0.75, 1.0] if count == 1 else [0.0, 0.5, 1.0])
    return np.array(list(itertools.product(values, repeat=count)), dtype=np.float64).reshape(-1, count)


KNOB_SAMPLING = ("uniform", "arcsine")


def draw_knobs(rng: np.random.Generator, rows: int, count: int, sampling: str) -> np.ndarray:
    """One knob setting per training segment. "arcsine" (Beta(1/2, 1/2)) puts more segments near
    the ends of each knob's range, where a uniform draw leaves the corners of a two-knob model (and
    a compressor's hardest setting) with few examples; the model is scored at those ends."""
    if sampling == "uniform":
        return rng.uniform(0.0, 1.0, (rows, count))
    if sampling == "arcsine":
        return rng.beta(0.5, 0.5, (rows, count))
    raise ValueError(f"knob sampling {sampling!r}: expected one of {', '.join(KNOB_SAMPLING)}")


def training_audio(material: str, seed: int, train_seconds: float, validation_seconds: float,
                   test_seconds: float):
    """Training rows of SEGMENT samples, validation rows and the held-out test audio.

    `synthetic`: signals.py's playing from the seed, cut end to end. `capture`: the capture
    signal's training blocks, segments starting anywhere in them (as many as train_seconds
    asks for, so the same material is seen at many knob settings), its validation block and
    its held-out block (their lengths are the signal's own).
    """
    row_length = int(VALIDATION_ROW_SECONDS * signals.SAMPLE_RATE)
    if material == "synthetic":
        audio = signals.splits(seed, train_seconds, validation_seconds, test_seconds)
        rows = len(audio["train"]) // SEGMENT
        train = audio["train"][:rows * SEGMENT].reshape(rows, SEGMENT)
        validation, test = audio["validation"], audio["test"]
    elif material == "capture":
        full = capture_signal.generate(signals.SAMPLE_RATE)
        layout = capture_signal.layout(signals.SAMPLE_RATE)
        first, last = layout.span(*capture_signal.TRAINING_BLOCKS)
        rows = int(train_seconds * signals.SAMPLE_RATE) // SEGMENT
        starts = np.random.default_rng(seed + 2).integers(first, last - SEGMENT, rows)
        train = np.stack([full[s:s + SEGMENT] for s in starts])
        validation, test = (full[slice(*layout.blocks[name])] for name in ("validation", "holdout"))
    else:
        raise ValueError(f"material {material!r}: expected one of {', '.join(MATERIALS)}")
    val_rows = len(validation) // row_length
    return train, validation[:val_rows * row_length].reshape(val_rows, row_length), test


def build_data(target: targets.Target, seed: int, train_seconds: float, validation_seconds: float,
               test_seconds: float, knob_sampling: str = "uniform", material: str = "synthetic",
               other_seconds: float = 30.0):
    """Render the target on the material: random knobs per training segment, knob grid for
    validation and test, and the 0 / 0.5 / 1 grid on the other generator's playing."""
    train_audio, val_audio, test_audio = training_audio(material, seed, train_seconds, validation_seconds,
                                                        test_seconds)
    rng = np.random.default_rng(seed + 1)
    knob_count = len(target.knobs)
    train_knobs = draw_knobs(rng, len(train_audio), knob_count, knob_sampling)
    grid = knob_grid(knob_count)
    other_grid = knob_grid(knob_count, [0.0, 0.5, 1.0])
    val_rows = len(val_audio)

    def pair(a, k):
        return model_input(a, k), torch.from_numpy(target.render(a, k))

    other = testsignal.material(other_seconds, seed=1)
    data = {"train": pair(train_audio, train_knobs),
            "validation": pair(np.repeat(val_audio, len(grid), axis=0), np.tile(grid, (val_rows, 1))),
            "test": pair(np.repeat(test_audio[None, :], len(grid), axis=0), grid),
            "other": pair(np.repeat(other[None, :], len(other_grid), axis=0), other_grid)}
    data["grid"], data["other_grid"] = grid, other_grid
    data["groups"] = np.arange(val_rows * len(grid)) % len(grid)
    return data


def train(target_name: str, hidden: int, layers: int, out: Path, report: Path, steps: int,
          seed: int, minutes: float = 20.0, batch: int = 64, learning_rate: float = 5e-3,
          validate_every: int = 320, patience: int = 5, train_seconds: float = 240.0,
          validation_seconds: float = 30.0, test_seconds: float = 30.0, quiet: bool = False,
          input_gain: float = fit.INPUT_GAIN, knob_sampling: str = "uniform", pre_emphasis: float = PRE_EMPHASIS,
          kernel: str = "fast", material: str = "synthetic", other_seconds: float = 30.0,
          by_time: bool = False):
    """Train for `steps` updates, export to `out`, write the report into `report`; return it.

    The result depends only on the arguments (single-threaded, seeded), unless the `minutes`
    safety limit cuts the run short, which the report records. With `by_time`, training instead
    fills `minutes` of wall time (rendering included) with the learning rate following the clock,
    so a busy machine gives fewer steps but still a settled model.
    """
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    started = time.time()
    kernel = fit.usable_kernel(kernel)
    target = targets.get(target_name)
    data = build_data(target, seed, train_seconds, validation_seconds, test_seconds, knob_sampling, material,
                      other_seconds)
    render_seconds = time.time() - started

    model = fit.new_model(hidden, layers, target.skip, input_gain, knobs=target.knobs,
                          knob_defaults=target.knob_defaults, sample_rate=targets.SAMPLE_RATE,
                          name=target.name.replace("_", " ").title(), description=target.description,
                          author="TorchAmp (Models/train.py)")
    budget = (fit.TimeBudget(60.0 * minutes - (time.time() - started)) if by_time
              else fit.StepBudget(steps, minutes))
    fitted = fit.fit(model, data["train"], data["validation"], data["groups"], budget,
                     batch=batch, learning_rate=learning_rate, validate_every=validate_every, seed=seed,
                     patience=patience, pre_emphasis=pre_emphasis, kernel=kernel, quiet=quiet)
    train_seconds_used = time.time() - started

    export(model, out)
    result = {
        "target": target.name, "description": target.description, "knobs": target.knobs,
        "hidden": hidden, "layers": layers, "skip": target.skip, "seed": seed, "material": material,
        "parameters": sum(p.numel() for p in model.parameters()),
        "file": str(out), "file_kb": round(out.stat().st_size / 1024, 1),
        "steps": fitted.steps, "step_budget": None if by_time else steps, "epochs": fitted.epochs,
        "time_budget_minutes": minutes if by_time else None,
        "stopped_by": {"budget": "time budget" if by_time else "step budget"}.get(fitted.stopped_by, fitted.stopped_by),
        "learning_rate": learning_rate, "batch": batch, "input_gain": input_gain,
        "knob_sampling": knob_sampling, "pre_emphasis": pre_emphasis, "validate_every": validate_every,
        "patience": patience, "kernel": kernel, "train_seconds": train_seconds,
        "training_minutes": round(train_seconds_used / 60, 2),
        "render_seconds": round(render_seconds, 1), "best_validation_esr_pre_emphasised_mean": fitted.best_validation,
        "training_loss_first_steps": float(np.mean(fitted.history["loss"][:20])),
        "training_loss_last_steps": float(np.mean(fitted.history["loss"][-20:])),
    }
    # Scored through the training kernel: it computes what the exported nn.LSTM does within float
    # rounding (Tests/python/test_fast_lstm.py) several times faster; export() has checked the file
    # against this model.
    forward = fit.forward_with(kernel)
    result.update(evaluate(model, data["test"], data["grid"], target, "test", forward))
    result.update(evaluate(model, data["other"], data["other_grid"], target, "other", forward))
    report.mkdir(parents=True, exist_ok=True)
    write_report(result, fitted.history, data, target, report)
    return result


def evaluate(model, test, grid, target, prefix: str, forward=None):
    """ESR per knob setting of `grid` (row i of `test` is at setting i), with mean and worst."""
    x, y = test
    prediction = run(model, x, forward=forward)
    settings = []
    for row, knobs in enumerate(grid):
        settings.append({
            "knobs": {k: float(v) for k, v in zip(target.knobs, knobs)},
            "esr": esr(prediction[row:row + 1], y[row:row + 1]).item(),
            "esr_pre_emphasised": esr(prediction[row:row + 1], y[row:row + 1], emphasis=True).item(),
        })
    return {
        f"{prefix}_seconds": x.shape[1] / targets.SAMPLE_RATE,
        f"{prefix}_peak": float(x[:, :, 0].abs().max()),
        f"{prefix}_esr_mean": float(np.mean([s["esr"] for s in settings])),
        f"{prefix}_esr_worst": float(np.max([s["esr"] for s in settings])),
        f"{prefix}_esr_pre_emphasised_mean": float(np.mean([s["esr_pre_emphasised"] for s in settings])),
        f"{prefix}_esr_pre_emphasised_worst": float(np.max([s["esr_pre_emphasised"] for s in settings])),
        f"{prefix}_settings": settings,
        f"_{prefix}_prediction": prediction,
    }


def _table(knobs, settings):
    lines = ["| " + " | ".join(knobs) + " | ESR % | pre-emphasised ESR % |", "|" + "---|" * (len(knobs) + 2)]
    for s in settings:
        lines.append("| " + " | ".join(f"{v:g}" for v in s["knobs"].values())
                     + f" | {100 * s['esr']:.3f} | {100 * s['esr_pre_emphasised']:.3f} |")
    return lines


def _summary(result, prefix):
    return (f"ESR mean {100 * result[f'{prefix}_esr_mean']:.3f} %, worst {100 * result[f'{prefix}_esr_worst']:.3f} %"
            f" (pre-emphasised: mean {100 * result[f'{prefix}_esr_pre_emphasised_mean']:.3f} %, "
            f"worst {100 * result[f'{prefix}_esr_pre_emphasised_worst']:.3f} %)")


def write_report(result, history, data, target, folder: Path):
    predictions = {prefix: result.pop(f"_{prefix}_prediction").numpy() for prefix in ("test", "other")}
    (folder / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    held_out = ("the capture signal's held-out block" if result["material"] == "capture"
                else "signals.py's held-out test signal")
    lines = [f"# {target.name}: LSTM {result['layers']}x{result['hidden']}", "",
             target.description, "",
             f"- model file: `{result['file']}` ({result['file_kb']} KB, {result['parameters']} parameters)",
             f"- trained on {result['material']} material, seed {result['seed']}, {result['steps']} steps of a "
             + (f"{result['time_budget_minutes']:g}-minute budget" if result["time_budget_minutes"] else
                f"{result['step_budget']}-step budget") + f" (stopped by {result['stopped_by']}) in {result['epochs']} epochs, batch {result['batch']}, validated every "
             f"{result['validate_every']} steps, "
             f"{result['training_minutes']} minutes (target rendering {result['render_seconds']} s)",
             f"- held-out test ({held_out}, {result['test_seconds']:.0f} s, peak {result['test_peak']:.2f}): "
             + _summary(result, "test"),
             f"- other generator (testsignal.py, never trained on, {result['other_seconds']:.0f} s, peak "
             f"{result['other_peak']:.2f} V): " + _summary(result, "other"), "",
             "## Held-out test", ""] + _table(target.knobs, result["test_settings"]) + [
             "", "## Other generator (testsignal.py)", ""] + _table(target.knobs, result["other_settings"])
    (folder / "report.md").write_text("\n".join(lines) + "\n")

    fit.plot_loss(history, f"{target.name}, LSTM {result['layers']}x{result['hidden']}", folder / "loss.png")
    cases = []
    for prefix, title in (("test", "held-out test"), ("other", "other generator")):
        worst = int(np.argmax([s["esr"] for s in result[f"{prefix}_settings"]]))
        label = ", ".join(f"{k} {v:g}" for k, v in result[f"{prefix}_settings"][worst]["knobs"].items())
        cases.append((f"{title}, worst setting ({label}): ESR {100 * result[f'{prefix}_settings'][worst]['esr']:.2f} %",
                      data[prefix][1].numpy()[worst], predictions[prefix][worst]))
    fit.plot_comparisons(cases, targets.SAMPLE_RATE, folder / "comparison.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=sorted(targets.TARGETS))
    parser.add_argument("--hidden", type=int, default=20)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--out", type=Path, help="model file (default Models/trained/TARGET.pt)")
    parser.add_argument("--report", type=Path, help="report folder (default: the model path without .pt)")
    parser.add_argument("--steps", type=int, default=3000, help="weight updates (the training budget)")
    parser.add_argument("--minutes", type=float, default=20.0,
                        help="safety time limit; a run it cuts short is recorded as such")
    parser.add_argument("--by-time", action="store_true",
                        help="train for --minutes of wall time (the schedule follows the clock) instead of --steps")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--train-seconds", type=float, default=240.0, help="length of the training signal")
    parser.add_argument("--input-gain", type=float, default=fit.INPUT_GAIN,
                        help="scale of the initial audio input weights: the gates must see millivolts")
    parser.add_argument("--pre-emphasis", type=float, default=PRE_EMPHASIS,
                        help="coefficient of the 1 - a z^-1 filter in the training and validation loss (0: plain ESR)")
    parser.add_argument("--knob-sampling", choices=KNOB_SAMPLING, default="uniform",
                        help="how training segments' knob settings are drawn (arcsine: more near the ends)")
    parser.add_argument("--validate-every", type=int, default=320,
                        help="steps between validations (each runs the model over every validation row)")
    parser.add_argument("--patience", type=int, default=5,
                        help="validations without progress before training stops early")
    parser.add_argument("--material", choices=MATERIALS, default="synthetic",
                        help="training material: signals.py's playing, or the capture signal's blocks")
    parser.add_argument("--kernel", choices=KERNELS, default="fast",
                        help="LSTM used while training: fast_lstm.cpp (default) or PyTorch's nn.LSTM; "
                             "the exported model and its scores always use nn.LSTM")
    args = parser.parse_args()
    out = args.out or HERE / "trained" / f"{args.target}.pt"
    report = args.report or out.with_suffix("")
    result = train(args.target, args.hidden, args.layers, out, report, args.steps, args.seed,
                   minutes=args.minutes, batch=args.batch, learning_rate=args.lr,
                   train_seconds=args.train_seconds, input_gain=args.input_gain,
                   knob_sampling=args.knob_sampling, pre_emphasis=args.pre_emphasis,
                   validate_every=args.validate_every, patience=args.patience, kernel=args.kernel,
                   material=args.material, by_time=args.by_time)
    print(f"{out}: test ESR mean {100 * result['test_esr_mean']:.3f} %, worst "
          f"{100 * result['test_esr_worst']:.3f} %; other generator mean {100 * result['other_esr_mean']:.3f} %, "
          f"worst {100 * result['other_esr_worst']:.3f} %; {result['training_minutes']} min; report in {report}")


if __name__ == "__main__":
    main()
