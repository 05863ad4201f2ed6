"""Train a TorchAmp LSTM on a simulated target and write the model plus a report.

    /usr/bin/python3 Models/train.py diode_clipper --hidden 24 --layers 1 --steps 3500 \\
        --seed 1 --out Resources/DefaultModel.pt --report Models/trained/DefaultModel

Method after Wright, Damskägg & Välimäki, "Real-time black-box modelling with recurrent
neural networks" (DAFx 2019): truncated backpropagation through time over short segments,
a loss of error-to-signal ratio on pre-emphasised audio plus a DC term, Adam, early stopping
on a validation signal. Knob settings are drawn per training segment and fed as extra input
channels, so one model covers the whole range of each knob.
"""

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fast_lstm  # noqa: E402
import signals  # noqa: E402
import targets  # noqa: E402
from torchamp import TorchAmpLSTM, export  # noqa: E402

PRE_EMPHASIS = 0.85
WARMUP = 1024          # samples run without gradient so the state is past its zero start
CHUNK = 512            # samples between weight updates (the truncation length of BPTT)
CHUNKS_PER_SEGMENT = 32
SEGMENT = WARMUP + CHUNK * CHUNKS_PER_SEGMENT
VALIDATION_ROW_SECONDS = 2.0


def knob_grid(count: int):
    """Knob settings the model is scored at: 5 per knob alone, 3 per knob in combination."""
    values = [0.0, 0.25, 0.5, 0.75, 1.0] if count == 1 else [0.0, 0.5, 1.0]
    return np.array(list(itertools.product(values, repeat=count)), dtype=np.float64).reshape(-1, count)


def model_input(audio: np.ndarray, knobs: np.ndarray) -> torch.Tensor:
    """[rows, time] audio and [rows, knobs] settings to the model's [rows, time, 1 + knobs]."""
    rows, length = audio.shape
    x = np.empty((rows, length, 1 + knobs.shape[1]), dtype=np.float32)
    x[:, :, 0] = audio
    x[:, :, 1:] = knobs[:, None, :]
    return torch.from_numpy(x)


def pre_emphasise(y: torch.Tensor, coefficient: float = PRE_EMPHASIS) -> torch.Tensor:
    return y[:, 1:] - coefficient * y[:, :-1]


def esr(prediction: torch.Tensor, target: torch.Tensor, emphasis: bool = False,
        coefficient: float = PRE_EMPHASIS) -> torch.Tensor:
    """Error-to-signal ratio: error energy over target energy, summed over every row."""
    if emphasis:
        prediction, target = pre_emphasise(prediction, coefficient), pre_emphasise(target, coefficient)
    return (target - prediction).pow(2).sum() / (target.pow(2).sum() + 1e-10)


def row_weights(target: torch.Tensor, coefficient: float = PRE_EMPHASIS) -> torch.Tensor:
    """1 / pre-emphasised power of each whole training row, floored at -60 dB.

    Without it a batch's ESR is ruled by its loudest rows (high drive, hot playing) and the
    model never learns the quiet, clean settings; with it every row counts alike, as every
    knob setting does when the model is scored.
    """
    return 1.0 / (pre_emphasise(target, coefficient).pow(2).mean(dim=1, keepdim=True) + 1e-6)


def training_loss(prediction: torch.Tensor, target: torch.Tensor, weights: torch.Tensor,
                  coefficient: float = PRE_EMPHASIS) -> torch.Tensor:
    """Pre-emphasised ESR plus a DC term (Wright et al. 2019), over level-equalised rows."""
    scale = weights.sqrt()
    prediction, target = prediction * scale, target * scale
    dc = (target.mean(dim=1) - prediction.mean(dim=1)).pow(2).mean() / (target.pow(2).mean() + 1e-10)
    return esr(prediction, target, emphasis=True, coefficient=coefficient) + dc


def validation_loss(prediction: torch.Tensor, target: torch.Tensor, settings: int,
                    coefficient: float = PRE_EMPHASIS) -> float:
    """Mean over knob settings of the pre-emphasised ESR; row i is at setting i % settings."""
    prediction, target = prediction[:, WARMUP:], target[:, WARMUP:]
    return float(np.mean([esr(prediction[i::settings], target[i::settings], emphasis=True,
                              coefficient=coefficient).item()
                          for i in range(settings)]))


KERNELS = ("fast", "torch")


def forward_with(kernel: str):
    """The function that runs a TorchAmpLSTM during training: `fast` (fast_lstm.cpp, the same
    arithmetic in a few Eigen products per step, about 5x faster for a 1x32, see
    Models/time_kernels.py) or `torch` (the model's own nn.LSTM). Both give the same outputs and gradients within float rounding (Tests/python)."""
    if kernel == "torch":
        return lambda model, x, h, c: model(x, h, c)
    if kernel == "fast":
        return fast_lstm.forward
    raise ValueError(f"kernel {kernel!r}: expected one of {', '.join(KERNELS)}")


@torch.no_grad()
def run(model, x: torch.Tensor, block: int = 48000, forward=None) -> torch.Tensor:
    """The model's output for whole rows of x, from a zero state, as the plugin runs it
    (through the model's own nn.LSTM unless another `forward` is given)."""
    forward = forward or forward_with("torch")
    h, c = model.initial_state(x.shape[0])
    outputs = []
    for start in range(0, x.shape[1], block):
        y, h, c = forward(model, x[:, start:start + block], h, c)
        outputs.append(y)
    return torch.cat(outputs, dim=1)[:, :, 0]


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


def build_data(target: targets.Target, seed: int, train_seconds: float,
               validation_seconds: float, test_seconds: float, knob_sampling: str = "uniform"):
    """Render the target on the seed's signals: random knobs per training segment, knob grid for
    validation and test."""
    audio = signals.splits(seed, train_seconds, validation_seconds, test_seconds)
    rng = np.random.default_rng(seed + 1)
    knob_count = len(target.knobs)

    rows = len(audio["train"]) // SEGMENT
    train_audio = audio["train"][:rows * SEGMENT].reshape(rows, SEGMENT)
    train_knobs = draw_knobs(rng, rows, knob_count, knob_sampling)
    grid = knob_grid(knob_count)

    row_length = int(VALIDATION_ROW_SECONDS * signals.SAMPLE_RATE)
    val_rows = len(audio["validation"]) // row_length
    val_audio = audio["validation"][:val_rows * row_length].reshape(val_rows, row_length)
    val_audio = np.repeat(val_audio, len(grid), axis=0)
    val_knobs = np.tile(grid, (val_rows, 1))

    test_audio = np.repeat(audio["test"][None, :], len(grid), axis=0)

    def pair(a, k):
        return model_input(a, k), torch.from_numpy(target.render(a, k))

    data = {"train": pair(train_audio, train_knobs), "validation": pair(val_audio, val_knobs),
            "test": pair(test_audio, grid)}
    data["grid"] = grid
    return data


def train(target_name: str, hidden: int, layers: int, out: Path, report: Path, steps: int,
          seed: int, minutes: float = 20.0, batch: int = 64, learning_rate: float = 5e-3,
          validate_every: int = 320, patience: int = 5, train_seconds: float = 240.0,
          validation_seconds: float = 30.0, test_seconds: float = 30.0, quiet: bool = False,
          input_gain: float = 30.0, knob_sampling: str = "uniform", pre_emphasis: float = PRE_EMPHASIS,
          kernel: str = "fast"):
    """Train for `steps` updates, export to `out`, write the report into `report`; return it.

    The result depends only on the arguments (single-threaded, seeded), unless the `minutes`
    safety limit cuts the run short, which the report records.
    """
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    started = time.time()
    forward = forward_with(kernel)
    if kernel == "fast":
        try:
            fast_lstm.library()
        except fast_lstm.Unavailable as error:
            print(f"note: training with PyTorch's nn.LSTM (about 5x slower): {error}", file=sys.stderr)
            kernel, forward = "torch", forward_with("torch")
    target = targets.get(target_name)
    data = build_data(target, seed, train_seconds, validation_seconds, test_seconds, knob_sampling)
    render_seconds = time.time() - started

    model = TorchAmpLSTM(hidden=hidden, layers=layers, knobs=target.knobs,
                         knob_defaults=target.knob_defaults, skip=target.skip,
                         sample_rate=targets.SAMPLE_RATE, name=target.name.replace("_", " ").title(),
                         description=target.description, author="TorchAmp (Models/train.py)")
    # Guitar signals sit around 0.01 to 0.5 V, and the effects bend them within that range,
    # so the LSTM's gates must respond to a few millivolts: its audio weights need to start
    # ~30x larger than PyTorch's default, or Adam spends most of the budget growing them.
    with torch.no_grad():
        model.lstm.weight_ih_l0[:, 0] *= input_gain
    if target.skip:
        # Start as a wire, so early training refines a dry signal instead of silence.
        torch.nn.init.zeros_(model.head.weight)
        torch.nn.init.zeros_(model.head.bias)
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    # Cosine decay to 2% over the step budget: large steps to find the shape, small ones to
    # settle the last fraction of a percent of error.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))

    x_train, y_train = data["train"]
    x_val, y_val = data["validation"]
    if x_train.shape[0] < batch:
        raise ValueError(f"{x_train.shape[0]} training segments cannot fill a batch of {batch}")
    generator = torch.Generator().manual_seed(seed)
    history = {"step": [], "loss": [], "val_step": [], "val_loss": []}
    best = (math.inf, None)
    stale = 0
    step = 0
    epoch = 0
    timed_out = False
    deadline = started + minutes * 60.0
    from tqdm import tqdm
    progress = tqdm(total=steps, unit="step", disable=quiet, smoothing=0.05)

    def batches():
        nonlocal epoch
        while True:
            epoch += 1
            order = torch.randperm(x_train.shape[0], generator=generator)
            for first in range(0, len(order) - batch + 1, batch):
                yield order[first:first + batch]

    for rows in batches():
        x, y = x_train[rows], y_train[rows]
        weights = row_weights(y, pre_emphasis)
        with torch.no_grad():
            h, c = model.initial_state(batch)
            _, h, c = forward(model, x[:, :WARMUP], h, c)
        for start in range(WARMUP, SEGMENT, CHUNK):
            prediction, h, c = forward(model, x[:, start:start + CHUNK], h, c)
            loss = training_loss(prediction[:, :, 0], y[:, start:start + CHUNK], weights, pre_emphasis)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            h, c = h.detach(), c.detach()
            step += 1
            history["step"].append(step)
            history["loss"].append(loss.item())
            progress.update(1)
            if step % validate_every == 0 or step == steps:
                val_loss = validation_loss(run(model, x_val, forward=forward), y_val, len(data["grid"]), pre_emphasis)
                history["val_step"].append(step)
                history["val_loss"].append(val_loss)
                if val_loss < best[0]:
                    best = (val_loss, {k: v.clone() for k, v in model.state_dict().items()})
                    stale = 0
                else:
                    stale += 1
                progress.set_postfix_str(f"epoch {epoch} val {val_loss:.4f} best {best[0]:.4f}")
            if step == steps or stale >= patience:
                break
            if time.time() > deadline:
                timed_out = True
                break
        if step == steps or stale >= patience or timed_out:
            break
    progress.close()
    if timed_out or best[1] is None:
        val_loss = validation_loss(run(model, x_val, forward=forward), y_val, len(data["grid"]), pre_emphasis)
        history["val_step"].append(step)
        history["val_loss"].append(val_loss)
        if val_loss < best[0]:
            best = (val_loss, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[1])
    train_seconds_used = time.time() - started

    export(model, out)
    result = {
        "target": target.name, "description": target.description, "knobs": target.knobs,
        "hidden": hidden, "layers": layers, "skip": target.skip, "seed": seed,
        "parameters": sum(p.numel() for p in model.parameters()),
        "file": str(out), "file_kb": round(out.stat().st_size / 1024, 1),
        "steps": step, "step_budget": steps, "epochs": epoch,
        "stopped_by": "time limit" if timed_out else ("early stopping" if stale >= patience else "step budget"),
        "learning_rate": learning_rate, "batch": batch, "input_gain": input_gain,
        "knob_sampling": knob_sampling, "pre_emphasis": pre_emphasis, "validate_every": validate_every,
        "patience": patience, "kernel": kernel,
        "training_minutes": round(train_seconds_used / 60, 2),
        "render_seconds": round(render_seconds, 1), "best_validation_esr_pre_emphasised_mean": best[0],
        "training_loss_first_steps": float(np.mean(history["loss"][:20])),
        "training_loss_last_steps": float(np.mean(history["loss"][-20:])),
    }
    result.update(evaluate(model, data["test"], data["grid"], target))
    report.mkdir(parents=True, exist_ok=True)
    write_report(result, history, model, data, target, report)
    return result


def evaluate(model, test, grid, target):
    x, y = test
    prediction = run(model, x)
    settings = []
    for row, knobs in enumerate(grid):
        settings.append({
            "knobs": {k: float(v) for k, v in zip(target.knobs, knobs)},
            "esr": esr(prediction[row:row + 1], y[row:row + 1]).item(),
            "esr_pre_emphasised": esr(prediction[row:row + 1], y[row:row + 1], emphasis=True).item(),
        })
    return {
        "test_seconds": x.shape[1] / targets.SAMPLE_RATE,
        "test_esr_mean": float(np.mean([s["esr"] for s in settings])),
        "test_esr_worst": float(np.max([s["esr"] for s in settings])),
        "test_esr_pre_emphasised_mean": float(np.mean([s["esr_pre_emphasised"] for s in settings])),
        "test_esr_pre_emphasised_worst": float(np.max([s["esr_pre_emphasised"] for s in settings])),
        "test_settings": settings,
        "_prediction": prediction,
    }


def write_report(result, history, model, data, target, folder: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import signal as sps

    prediction = result.pop("_prediction").numpy()
    (folder / "report.json").write_text(json.dumps(result, indent=2) + "\n")

    lines = [f"# {target.name}: LSTM {result['layers']}x{result['hidden']}", "",
             target.description, "",
             f"- model file: `{result['file']}` ({result['file_kb']} KB, {result['parameters']} parameters)",
             f"- seed {result['seed']}, {result['steps']} of {result['step_budget']} steps (stopped by "
             f"{result['stopped_by']}) in {result['epochs']} epochs, batch {result['batch']}, validated every "
             f"{result['validate_every']} steps, "
             f"{result['training_minutes']} minutes (target rendering {result['render_seconds']} s)",
             f"- held-out test signal: {result['test_seconds']:.0f} s, scored at every knob setting below",
             f"- ESR mean {100 * result['test_esr_mean']:.3f} %, worst {100 * result['test_esr_worst']:.3f} %"
             f" (pre-emphasised: mean {100 * result['test_esr_pre_emphasised_mean']:.3f} %, "
             f"worst {100 * result['test_esr_pre_emphasised_worst']:.3f} %)", "",
             "| " + " | ".join(target.knobs) + " | ESR % | pre-emphasised ESR % |",
             "|" + "---|" * (len(target.knobs) + 2)]
    for s in result["test_settings"]:
        lines.append("| " + " | ".join(f"{v:g}" for v in s["knobs"].values())
                     + f" | {100 * s['esr']:.3f} | {100 * s['esr_pre_emphasised']:.3f} |")
    (folder / "report.md").write_text("\n".join(lines) + "\n")

    figure, axis = plt.subplots(figsize=(8, 4.5))
    losses = np.array(history["loss"])
    smooth = np.convolve(losses, np.ones(50) / 50, mode="valid") if len(losses) > 50 else losses
    axis.semilogy(history["step"][len(history["step"]) - len(smooth):], smooth, label="training loss (50-step mean)")
    axis.semilogy(history["val_step"], history["val_loss"], "o-",
                  label="validation ESR (pre-emphasised, mean over knob settings)")
    axis.set_xlabel("step")
    axis.set_ylabel("loss")
    axis.set_title(f"{target.name}, LSTM {result['layers']}x{result['hidden']}")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "loss.png", dpi=100)
    plt.close(figure)

    x, y = data["test"]
    y = y.numpy()
    worst = int(np.argmax([s["esr"] for s in result["test_settings"]]))
    # Show the loudest 20 ms of the worst setting: where the nonlinearity works hardest.
    centre = int(np.argmax(np.convolve(np.abs(y[worst]), np.ones(960), mode="same")))
    span = slice(max(0, centre - 480), centre + 480)
    t = np.arange(span.start, span.start + len(y[worst, span])) / targets.SAMPLE_RATE
    label = ", ".join(f"{k} {v:g}" for k, v in result["test_settings"][worst]["knobs"].items())
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7))
    top.plot(t, y[worst, span], label="target")
    top.plot(t, prediction[worst, span], "--", label="model")
    top.plot(t, prediction[worst, span] - y[worst, span], label="error")
    top.set_xlabel("time (s)")
    top.set_ylabel("volts")
    top.set_title(f"worst knob setting ({label}): ESR {100 * result['test_settings'][worst]['esr']:.2f} %")
    top.legend()
    frequencies, target_psd = sps.welch(y[worst], targets.SAMPLE_RATE, nperseg=4096)
    _, model_psd = sps.welch(prediction[worst], targets.SAMPLE_RATE, nperseg=4096)
    _, error_psd = sps.welch(prediction[worst] - y[worst], targets.SAMPLE_RATE, nperseg=4096)
    for psd, name in ((target_psd, "target"), (model_psd, "model"), (error_psd, "error")):
        bottom.semilogx(frequencies[1:], 10 * np.log10(psd[1:] + 1e-20), label=name)
    bottom.set_xlabel("frequency (Hz)")
    bottom.set_ylabel("power (dB V²/Hz)")
    bottom.set_title("spectra over the whole test signal")
    bottom.grid(True, which="both", alpha=0.3)
    bottom.legend()
    figure.tight_layout()
    figure.savefig(folder / "comparison.png", dpi=100)
    plt.close(figure)


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
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--train-seconds", type=float, default=240.0, help="length of the training signal")
    parser.add_argument("--input-gain", type=float, default=30.0,
                        help="scale of the initial audio input weights: the gates must see millivolts")
    parser.add_argument("--pre-emphasis", type=float, default=PRE_EMPHASIS,
                        help="coefficient of the 1 - a z^-1 filter in the training and validation loss (0: plain ESR)")
    parser.add_argument("--knob-sampling", choices=KNOB_SAMPLING, default="uniform",
                        help="how training segments' knob settings are drawn (arcsine: more near the ends)")
    parser.add_argument("--validate-every", type=int, default=320,
                        help="steps between validations (each runs the model over every validation row)")
    parser.add_argument("--patience", type=int, default=5,
                        help="validations without progress before training stops early")
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
                   validate_every=args.validate_every, patience=args.patience, kernel=args.kernel)
    print(f"{out}: test ESR mean {100 * result['test_esr_mean']:.3f} %, worst "
          f"{100 * result['test_esr_worst']:.3f} % in {result['training_minutes']} min; report in {report}")


if __name__ == "__main__":
    main()
