"""Fitting a TorchAmp LSTM to input/target audio: the machinery train.py (simulated targets) and
capture.py (recordings of real gear) share.

Method after Wright, Damskägg & Välimäki, "Real-time black-box modelling with recurrent neural
networks" (DAFx 2019): truncated backpropagation through time over short segments, a loss of
error-to-signal ratio on pre-emphasised audio plus a DC term, Adam with a cosine learning-rate
decay, and the model kept that scored best on a validation signal. Knob settings are extra input
channels held for a whole segment, so one model covers every setting it was shown.
"""

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

import fast_lstm
from torchamp import TorchAmpLSTM

PRE_EMPHASIS = 0.85
WARMUP = 1024          # samples run without gradient so the state is past its zero start
CHUNK = 512            # samples between weight updates (the truncation length of BPTT)
CHUNKS_PER_SEGMENT = 32
SEGMENT = WARMUP + CHUNK * CHUNKS_PER_SEGMENT
VALIDATION_ROW_SECONDS = 2.0
INPUT_GAIN = 30.0
KERNELS = ("fast", "torch")


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


def validation_loss(prediction: torch.Tensor, target: torch.Tensor, groups: np.ndarray,
                    coefficient: float = PRE_EMPHASIS) -> float:
    """Mean over groups (knob settings, or recorded pairs) of the pre-emphasised ESR past the
    warm-up; row i belongs to group groups[i]."""
    prediction, target = prediction[:, WARMUP:], target[:, WARMUP:]
    return float(np.mean([esr(prediction[groups == g], target[groups == g], emphasis=True,
                              coefficient=coefficient).item()
                          for g in np.unique(groups)]))


def forward_with(kernel: str):
    """The function that runs a TorchAmpLSTM during training: `fast` (fast_lstm.cpp, the same
    arithmetic in a few Eigen products per step, see Models/time_kernels.py) or `torch` (the
    model's own nn.LSTM). Both give the same outputs and gradients within float rounding
    (Tests/python/test_fast_lstm.py)."""
    if kernel == "torch":
        return lambda model, x, h, c: model(x, h, c)
    if kernel == "fast":
        return fast_lstm.forward
    raise ValueError(f"kernel {kernel!r}: expected one of {', '.join(KERNELS)}")


def usable_kernel(kernel: str) -> str:
    """`kernel`, or `torch` with a note on stderr when the fast kernel cannot be built here."""
    if kernel == "fast":
        try:
            fast_lstm.library()
        except fast_lstm.Unavailable as error:
            print(f"note: training with PyTorch's nn.LSTM (about 5x slower): {error}", file=sys.stderr)
            return "torch"
    return kernel


@torch.no_grad()
def run(model, x: torch.Tensor, block: int = 48000, forward=None) -> torch.Tensor:
    """The model's output for whole rows of x, from a zero state, as the plugin runs it
    (through the model's own nn.LSTM unless another `forward` is given)."""
    forward = forward or forward_with("torch")
    # From the LSTM's sizes, not initial_state(): a loaded TorchScript file has only forward().
    h = torch.zeros(model.lstm.num_layers, x.shape[0], model.lstm.hidden_size)
    c = torch.zeros_like(h)
    outputs = []
    for start in range(0, x.shape[1], block):
        y, h, c = forward(model, x[:, start:start + block], h, c)
        outputs.append(y)
    return torch.cat(outputs, dim=1)[:, :, 0]


def new_model(hidden: int, layers: int, skip: bool, input_gain: float = INPUT_GAIN, **metadata) -> TorchAmpLSTM:
    """A TorchAmpLSTM ready to train (seed torch first for a reproducible start)."""
    model = TorchAmpLSTM(hidden=hidden, layers=layers, skip=skip, **metadata)
    # Guitar signals sit around 0.01 to 0.5 of full scale (or volts), and effects bend them
    # within that range, so the LSTM's gates must respond to a few thousandths: its audio
    # weights need to start larger than PyTorch's default, or Adam spends most of the budget
    # growing them.
    with torch.no_grad():
        model.lstm.weight_ih_l0[:, 0] *= input_gain
    if skip:
        # Start as a wire, so early training refines a dry signal instead of silence.
        torch.nn.init.zeros_(model.head.weight)
        torch.nn.init.zeros_(model.head.bias)
    return model


def cosine(fraction: float) -> float:
    """Learning-rate factor: cosine decay to 2 % over the budget; large steps to find the shape,
    small ones to settle the last fraction of a percent of error."""
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(max(fraction, 0.0), 1.0)))


class StepBudget:
    """A training budget of `steps` updates, with `minutes` as a safety limit: the schedule
    follows the step count, so a run depends only on its arguments unless the limit cuts it."""

    unit = "step"

    def __init__(self, steps: int, minutes: float):
        self.steps = steps
        self.deadline = time.time() + 60.0 * minutes
        self.progress_total = steps

    def fraction(self, step: int) -> float:
        return step / self.steps

    def finished(self, step: int) -> bool:
        return step >= self.steps

    def out_of_time(self) -> bool:
        return time.time() > self.deadline

    def progress(self, step: int) -> float:
        return step


class TimeBudget:
    """A training budget of wall time: the schedule follows the clock, so training ends with a
    decayed learning rate whatever else the machine is doing."""

    unit = "s"

    def __init__(self, seconds: float):
        self.started = time.time()
        self.seconds = seconds
        self.progress_total = round(seconds)

    def fraction(self, step: int) -> float:
        return (time.time() - self.started) / self.seconds

    def finished(self, step: int) -> bool:
        return self.fraction(step) >= 1.0

    def out_of_time(self) -> bool:
        return False

    def progress(self, step: int) -> float:
        return min(time.time() - self.started, self.seconds)


@dataclass
class Fitted:
    """What a training run did: the best validation loss, its history, and how it stopped."""
    best_validation: float
    steps: int
    epochs: int
    stopped_by: str
    history: Dict[str, List[float]] = field(default_factory=dict)


def fit(model, train: Sequence[torch.Tensor], validation: Sequence[torch.Tensor], groups: np.ndarray,
        budget, *, batch: int, learning_rate: float, validate_every: int, seed: int,
        patience: Optional[int] = None, pre_emphasis: float = PRE_EMPHASIS, kernel: str = "fast",
        quiet: bool = False, describe: Callable[[float], str] = lambda v: f"{v:.4f}") -> Fitted:
    """Train `model` in place on (x, y) segments of SEGMENT samples and leave it holding the
    weights that scored best on the validation rows (grouped by `groups` for the mean).

    Each update runs CHUNK samples of a batch of segments after a WARMUP without gradient,
    carrying the state across the segment. Training stops when the budget is spent, when
    `patience` validations in a row bring no progress, or at the budget's safety limit.
    """
    from tqdm import tqdm

    forward = forward_with(kernel)
    x_train, y_train = train
    x_val, y_val = validation
    if x_train.shape[0] < batch:
        raise ValueError(f"{x_train.shape[0]} training segments cannot fill a batch of {batch}")
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    generator = torch.Generator().manual_seed(seed)
    history = {"step": [], "loss": [], "val_step": [], "val_loss": []}
    best = (math.inf, None)
    state = {"step": 0, "epoch": 0, "stale": 0, "stopped_by": None}
    bar = tqdm(total=budget.progress_total, unit=budget.unit, disable=quiet, smoothing=0.05,
               bar_format="{l_bar}{bar}| {n:.0f}/{total_fmt} {unit} [{elapsed}<{remaining}{postfix}]")

    def validate():
        nonlocal best
        loss = validation_loss(run(model, x_val, forward=forward), y_val, groups, pre_emphasis)
        history["val_step"].append(state["step"])
        history["val_loss"].append(loss)
        if loss < best[0]:
            best = (loss, {k: v.clone() for k, v in model.state_dict().items()})
            state["stale"] = 0
        else:
            state["stale"] += 1
        bar.set_postfix_str(f"step {state['step']}, validation {describe(loss)}, best {describe(best[0])}")

    def should_stop():
        if budget.finished(state["step"]):
            state["stopped_by"] = "budget"
        elif patience is not None and state["stale"] >= patience:
            state["stopped_by"] = "early stopping"
        elif budget.out_of_time():
            state["stopped_by"] = "time limit"
        return state["stopped_by"] is not None

    while state["stopped_by"] is None:
        state["epoch"] += 1
        order = torch.randperm(x_train.shape[0], generator=generator)
        for first in range(0, len(order) - batch + 1, batch):
            rows = order[first:first + batch]
            _train_segment(model, forward, optimiser, x_train[rows], y_train[rows], pre_emphasis,
                           learning_rate, budget, state, history, bar, validate, validate_every, should_stop)
            if state["stopped_by"] is not None:
                break
    bar.close()
    model.load_state_dict(best[1])
    return Fitted(best_validation=best[0], steps=state["step"], epochs=state["epoch"],
                  stopped_by=state["stopped_by"], history=history)


def _train_segment(model, forward, optimiser, x, y, pre_emphasis, learning_rate, budget, state,
                   history, bar, validate, validate_every, should_stop):
    """Run one batch of segments: warm up, then one update per CHUNK, validating on schedule."""
    weights = row_weights(y, pre_emphasis)
    with torch.no_grad():
        h, c = model.initial_state(x.shape[0])
        _, h, c = forward(model, x[:, :WARMUP], h, c)
    for start in range(WARMUP, x.shape[1] - CHUNK + 1, CHUNK):
        for group in optimiser.param_groups:
            group["lr"] = learning_rate * cosine(budget.fraction(state["step"]))
        prediction, h, c = forward(model, x[:, start:start + CHUNK], h, c)
        loss = training_loss(prediction[:, :, 0], y[:, start:start + CHUNK], weights, pre_emphasis)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        h, c = h.detach(), c.detach()
        state["step"] += 1
        history["step"].append(state["step"])
        history["loss"].append(loss.item())
        bar.n = budget.progress(state["step"])
        if state["step"] % 20 == 0:
            bar.refresh()
        if state["step"] % validate_every == 0:
            validate()
        if should_stop():
            if history["val_step"][-1:] != [state["step"]]:
                validate()
            return


def plot_loss(history: Dict[str, List[float]], title: str, path) -> None:
    """Training loss (50-step mean) and validation ESR against step, log scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5))
    losses = np.array(history["loss"])
    smooth = np.convolve(losses, np.ones(50) / 50, mode="valid") if len(losses) > 50 else losses
    axis.semilogy(history["step"][len(history["step"]) - len(smooth):], smooth, label="training loss (50-step mean)")
    axis.semilogy(history["val_step"], history["val_loss"], "o-",
                  label="validation ESR (pre-emphasised, mean over settings)")
    axis.set_xlabel("step")
    axis.set_ylabel("loss")
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_comparisons(cases, sample_rate: int, path) -> None:
    """One row per case (title, target, prediction as 1-D arrays): the loudest 20 ms, target
    against model and their difference, and the spectra over the whole signal."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import signal as sps

    figure, axes = plt.subplots(len(cases), 2, figsize=(13, 3.6 * len(cases)), squeeze=False)
    width = int(0.02 * sample_rate)
    for (title, target, prediction), (top, bottom) in zip(cases, axes):
        # The loudest 20 ms: where a nonlinearity works hardest.
        centre = int(np.argmax(np.convolve(np.abs(target), np.ones(width), mode="same")))
        span = slice(max(0, centre - width // 2), centre + width // 2)
        t = np.arange(span.start, span.start + len(target[span])) / sample_rate
        top.plot(t, target[span], label="target")
        top.plot(t, prediction[span], "--", label="model")
        top.plot(t, prediction[span] - target[span], label="error")
        top.set_xlabel("time (s)")
        top.set_title(title)
        top.legend()
        segment = min(4096, len(target))
        for data, name in ((target, "target"), (prediction, "model"), (prediction - target, "error")):
            frequencies, psd = sps.welch(data, sample_rate, nperseg=segment)
            bottom.semilogx(frequencies[1:], 10 * np.log10(psd[1:] + 1e-20), label=name)
        bottom.set_xlabel("frequency (Hz)")
        bottom.set_ylabel("power (dB/Hz)")
        bottom.set_title("spectra over the whole signal")
        bottom.grid(True, which="both", alpha=0.3)
        bottom.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
