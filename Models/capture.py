"""Capture your own gear: play the standard signal through it, record, train a model.

    /usr/bin/python3 Models/capture.py signal capture.wav [--rate 48000]
    (play capture.wav through the gear and record its output as gear.wav)
    /usr/bin/python3 Models/capture.py train --pair capture.wav gear.wav --out MyGear.pt

Several pairs recorded at different settings of named knobs give one model with those knobs:

    capture.py train --pair capture.wav g2.wav gain=0.2 --pair capture.wav g8.wav gain=0.8 --out Amp.pt

`score` measures a model against any recorded pair, e.g. your own playing through the gear:

    capture.py score MyGear.pt --pair playing.wav playing-through-gear.wav [gain=0.5]
"""

import time

_IMPORTS_STARTED = time.time()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.io import wavfile  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import capture_signal  # noqa: E402
import fit  # noqa: E402
import recording  # noqa: E402
from recording import RecordingError  # noqa: E402
from torchamp import export  # noqa: E402

# The --minutes budget counts the command's imports too.
IMPORT_SECONDS = time.time() - _IMPORTS_STARTED

SIZES = {"lite": 16, "standard": 32, "large": 48}
BATCH = 16                        # segments per update: small batches give many more updates per minute here
LEARNING_RATE = 5e-3
CHECKS = 25                       # validations over a run
REPORT_SHARE = 0.03               # of the budget kept for scoring the held-out parts and the report
REPORT_SECONDS = 10.0             # and at least this
MIN_VALIDATE_EVERY = 50


@dataclass
class Pair:
    """One recorded pair, checked and lined up: `target` is the recording shifted by its latency."""
    played: recording.Audio
    recorded: recording.Audio
    knobs: Dict[str, float]
    alignment: recording.Alignment
    target: np.ndarray
    regions: Dict[str, tuple]
    signal: str                   # "capture signal v1", "signal with markers" or "own DI"

    @property
    def label(self) -> str:
        settings = ", ".join(f"{k} {v:g}" for k, v in self.knobs.items())
        return f"{self.recorded.path.name}" + (f" ({settings})" if settings else "")


def parse_knobs(words: Sequence[str], where: str) -> Dict[str, float]:
    """KNOB=VALUE words to a dict, refusing values outside [0, 1] and malformed words."""
    knobs = {}
    for word in words:
        name, equals, value = word.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not equals or not name.strip() or number is None:
            raise RecordingError(f"{where}: '{word}' is not KNOB=VALUE (e.g. gain=0.5)")
        if not 0.0 <= number <= 1.0:
            raise RecordingError(f"{where}: {name}={value} is outside [0, 1]: give each knob's setting as a "
                                 f"fraction of its travel (0 fully left, 1 fully right)")
        knobs[name.strip()] = number
    return knobs


def load_pairs(specs: Sequence[Sequence[str]], channel: Optional[int] = None) -> List[Pair]:
    """Read, check and align every --pair; raises RecordingError on the first that cannot be used."""
    parsed = []
    for index, spec in enumerate(specs, 1):
        if len(spec) < 2:
            raise RecordingError(f"--pair {index}: give IN.wav OUT.wav [KNOB=VALUE ...]")
        parsed.append((spec[0], spec[1], parse_knobs(spec[2:], f"--pair {index}")))
    names = [sorted(knobs) for _, _, knobs in parsed]
    for index, knob_names in enumerate(names[1:], 2):
        if knob_names != names[0]:
            raise RecordingError(f"--pair {index}: sets knobs [{', '.join(knob_names)}] but --pair 1 sets "
                                 f"[{', '.join(names[0])}]: every pair must set the same knobs")
    played_files, pairs = {}, []
    for played_path, recorded_path, knobs in parsed:
        if played_path not in played_files:
            played_files[played_path] = recording.read_wav(played_path)
        pairs.append(load_pair(played_files[played_path], recording.read_wav(recorded_path, channel), knobs))
    rates = {p.recorded.rate for p in pairs}
    if len(rates) > 1:
        raise RecordingError(f"{pairs[-1].recorded.path}: the pairs are at {', '.join(map(str, sorted(rates)))} "
                             f"Hz: record every pair at one sample rate")
    return pairs


_reference_cache: Dict[tuple, Optional[np.ndarray]] = {}


def load_pair(played: recording.Audio, recorded: recording.Audio, knobs: Dict[str, float]) -> Pair:
    """Check one pair and line it up."""
    if played.rate != recorded.rate:
        raise RecordingError(f"{recorded.path}: recorded at {recorded.rate} Hz but {played.path.name} is at "
                             f"{played.rate} Hz: record at the rate the signal was written at")
    recording.check_not_clipped(played)
    recording.check_not_clipped(recorded)
    if np.max(np.abs(recorded.samples)) < recording.SILENT_PEAK:
        recording.check_level(played, recorded, recorded.samples, (0, len(recorded.samples)))
    key = (str(played.path), played.rate, len(played.samples))
    if key not in _reference_cache:
        _reference_cache[key] = recording.is_capture_signal(played)
    reference = _reference_cache[key]
    alignment = recording.align(played, recorded)
    target = recording.aligned(played, recorded, alignment.latency)
    regions = recording.regions(played, reference)
    recording.check_level(played, recorded, target, (regions["train"][0], regions["holdout"][1]))
    if reference is not None:
        kind = f"capture signal v{capture_signal.VERSION}"
    elif alignment.method == "markers":
        kind = "signal with markers"
    else:
        kind = "own DI"
    return Pair(played=played, recorded=recorded, knobs=knobs, alignment=alignment, target=target,
                regions=regions, signal=kind)


def segments(pairs: List[Pair], knob_names: List[str]):
    """Training segments of fit.SEGMENT samples, half-overlapping, from every pair's training span."""
    audio, targets, settings = [], [], []
    for pair in pairs:
        first, last = pair.regions["train"]
        for start in range(first, last - fit.SEGMENT + 1, fit.SEGMENT // 2):
            audio.append(pair.played.samples[start:start + fit.SEGMENT])
            targets.append(pair.target[start:start + fit.SEGMENT])
            settings.append([pair.knobs[k] for k in knob_names])
    settings = np.array(settings, dtype=np.float64).reshape(len(audio), len(knob_names))
    return fit.model_input(np.array(audio), settings), torch.from_numpy(np.array(targets, dtype=np.float32))


def validation_rows(pairs: List[Pair], knob_names: List[str]):
    """The validation spans cut into rows, with each row's pair index."""
    audio, targets, settings, groups = [], [], [], []
    for index, pair in enumerate(pairs):
        first, last = pair.regions["validation"]
        row = min(int(fit.VALIDATION_ROW_SECONDS * pair.played.rate), last - first)
        for start in range(first, last - row + 1, row):
            audio.append(pair.played.samples[start:start + row])
            targets.append(pair.target[start:start + row])
            settings.append([pair.knobs[k] for k in knob_names])
            groups.append(index)
    settings = np.array(settings, dtype=np.float64).reshape(len(audio), len(knob_names))
    return (fit.model_input(np.array(audio), settings), torch.from_numpy(np.array(targets, dtype=np.float32)),
            np.array(groups))


def score(model, pair: Pair, span: tuple, knob_values: Sequence[float], forward=None) -> Dict[str, object]:
    """ESR (plain and pre-emphasised) of a model against the recording over `span`, from a zero state
    (through the model's nn.LSTM unless another `forward` is given)."""
    first, last = span
    x = fit.model_input(pair.played.samples[None, first:last], np.array([knob_values], dtype=np.float64))
    y = torch.from_numpy(pair.target[None, first:last].astype(np.float32))
    prediction = fit.run(model, x, forward=forward)
    return {"esr": fit.esr(prediction, y).item(), "esr_pre_emphasised": fit.esr(prediction, y, emphasis=True).item(),
            "_prediction": prediction[0].numpy(), "_target": y[0].numpy()}


def step_seconds(model, x, y, kernel: str) -> float:
    """Seconds one training update takes here and now, measured on a throwaway copy."""
    import copy
    trial = copy.deepcopy(model)
    optimiser = torch.optim.Adam(trial.parameters(), lr=LEARNING_RATE)
    forward = fit.forward_with(kernel)
    h, c = trial.initial_state(x.shape[0])
    times = []
    for start in range(fit.WARMUP, fit.WARMUP + 4 * fit.CHUNK, fit.CHUNK):
        began = time.time()
        prediction, h, c = forward(trial, x[:, start:start + fit.CHUNK], h, c)
        loss = fit.esr(prediction[:, :, 0], y[:, start:start + fit.CHUNK], emphasis=True)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        h, c = h.detach(), c.detach()
        times.append(time.time() - began)
    return float(np.median(times[1:]))


def describe(pairs: List[Pair], gear: Optional[str], holdout_mean: float) -> str:
    settings = "; ".join(", ".join(f"{k} {v:g}" for k, v in p.knobs.items()) for p in pairs if p.knobs)
    text = f"{gear or 'gear'} captured with Models/capture.py"
    if settings:
        text += f" at {settings}"
    return text + f"; held-out ESR {100 * holdout_mean:.2f} %"


def train(pairs: List[Pair], out: Path, *, name: Optional[str] = None, author: str = "", gear: Optional[str] = None,
          size: str = "standard", minutes: float = 15.0, seed: int = 1, quiet: bool = False,
          report: Optional[Path] = None, started: Optional[float] = None, kernel: str = "fast",
          pre_emphasis: float = fit.PRE_EMPHASIS, steps: Optional[int] = None) -> Dict[str, object]:
    """Train one model on the pairs within `minutes` of `started` (or for `steps` updates, with
    `minutes` as the limit), export it to `out`, write the report; return the report's figures."""
    started = started or time.time()
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    kernel = fit.usable_kernel(kernel)
    knob_names = list(pairs[0].knobs)
    rate = pairs[0].recorded.rate
    x_train, y_train = segments(pairs, knob_names)
    x_val, y_val, groups = validation_rows(pairs, knob_names)
    if x_train.shape[0] < BATCH:
        raise RecordingError(f"{pairs[0].recorded.path}: only {x_train.shape[0]} training segments of "
                             f"{fit.SEGMENT / rate:.2f} s; record at least {BATCH * fit.SEGMENT / rate / 2:.0f} s")
    defaults = [float(np.mean([min(p.knobs[k] for p in pairs), max(p.knobs[k] for p in pairs)])) for k in knob_names]
    model = fit.new_model(SIZES[size], 1, skip=False, knobs=knob_names, knob_defaults=defaults, sample_rate=rate,
                          name=name or gear or out.stem, author=author)

    budget_seconds = 60.0 * minutes
    reserve = max(REPORT_SECONDS, REPORT_SHARE * budget_seconds)
    per_step = step_seconds(model, x_train[:BATCH], y_train[:BATCH], kernel)
    training_seconds = budget_seconds - reserve - (time.time() - started)
    if training_seconds <= 0:
        raise RecordingError(f"--minutes {minutes:g} leaves no time to train after reading the recordings")
    if steps:
        budget = fit.StepBudget(steps, training_seconds / 60)
        validate_every = max(MIN_VALIDATE_EVERY, steps // CHECKS)
    else:
        budget = fit.TimeBudget(training_seconds)
        validate_every = max(MIN_VALIDATE_EVERY, int(training_seconds / per_step / CHECKS))
    fitted = fit.fit(model, (x_train, y_train), (x_val, y_val), groups, budget,
                     batch=BATCH, learning_rate=LEARNING_RATE, validate_every=validate_every, seed=seed,
                     pre_emphasis=pre_emphasis, kernel=kernel, quiet=quiet,
                     describe=lambda v: f"ESR {100 * v:.2f} %")
    trained_seconds = time.time() - started

    # The fast kernel computes what the exported nn.LSTM does within float rounding
    # (Tests/python/test_fast_lstm.py), several times faster; `capture.py score` runs the file.
    holdouts = [score(model, p, p.regions["holdout"], list(p.knobs.values()), fit.forward_with(kernel))
                for p in pairs]
    mean = float(np.mean([h["esr"] for h in holdouts]))
    model.description = describe(pairs, gear, mean)
    export(model, out)
    result = {
        "model": str(out),
        "latency_samples": [p.alignment.latency for p in pairs],
        "drift_ppm": [round(p.alignment.drift_ppm, 2) for p in pairs],
        "esr_holdout": [h["esr"] for h in holdouts],
        "esr_holdout_mean": mean,
        "minutes": None,
        "pairs": [{"in": str(p.played.path), "out": str(p.recorded.path), "knobs": p.knobs, "signal": p.signal,
                   "alignment": p.alignment.method, "latency_samples": p.alignment.latency,
                   "drift_samples": round(p.alignment.drift_samples, 3), "drift_ppm": round(p.alignment.drift_ppm, 2),
                   "holdout_seconds": (p.regions["holdout"][1] - p.regions["holdout"][0]) / rate,
                   "esr_holdout": h["esr"], "esr_holdout_pre_emphasised": h["esr_pre_emphasised"]}
                  for p, h in zip(pairs, holdouts)],
        "name": model.name, "description": model.description, "knobs": knob_names, "knob_defaults": defaults,
        "sample_rate": rate, "size": size, "hidden": SIZES[size], "layers": 1, "seed": seed, "kernel": kernel,
        "pre_emphasis": pre_emphasis,
        "steps": fitted.steps, "epochs": fitted.epochs, "training_segments": int(x_train.shape[0]),
        "training_minutes": round(trained_seconds / 60, 2), "budget_minutes": minutes,
        "best_validation_esr_pre_emphasised": fitted.best_validation,
    }
    folder = report or out.with_suffix("")
    write_report(result, fitted, pairs, holdouts, folder)
    result["minutes"] = round((time.time() - started) / 60, 2)
    (folder / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def write_report(result, fitted, pairs, holdouts, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    title = f"{result['name']}: LSTM 1x{result['hidden']}"
    fit.plot_loss(fitted.history, title, folder / "loss.png")
    fit.plot_comparisons([(f"{p.label}: held-out ESR {100 * h['esr']:.2f} %", h.pop("_target"), h.pop("_prediction"))
                          for p, h in zip(pairs, holdouts)], result["sample_rate"], folder / "comparison.png")
    lines = [f"# {title}", "", result["description"], "",
             f"- model file: `{result['model']}`, {result['sample_rate']} Hz, knobs: "
             f"{', '.join(result['knobs']) or 'none'}",
             f"- {result['steps']} steps in {result['epochs']} epochs over {result['training_segments']} segments, "
             f"{result['training_minutes']} minutes of a {result['budget_minutes']:g}-minute budget",
             f"- held-out ESR mean {100 * result['esr_holdout_mean']:.3f} %", "",
             "| recording | signal | latency (samples) | drift (ppm) | held-out ESR % | pre-emphasised % |",
             "|---|---|---|---|---|---|"]
    for p in result["pairs"]:
        settings = ", ".join(f"{k} {v:g}" for k, v in p["knobs"].items())
        lines.append(f"| {Path(p['out']).name}{' (' + settings + ')' if settings else ''} | {p['signal']} | "
                     f"{p['latency_samples']} | {p['drift_ppm']:+.2f} | {100 * p['esr_holdout']:.3f} | "
                     f"{100 * p['esr_holdout_pre_emphasised']:.3f} |")
    lines += ["", "`loss.png`: training loss and validation ESR; `comparison.png`: target against model on "
              "each pair's held-out part (loudest 20 ms, and spectra)."]
    (folder / "report.md").write_text("\n".join(lines) + "\n")


def score_model(model_path: Path, pairs: List[Pair]) -> Dict[str, object]:
    """ESR of a saved model against each pair: over the held-out block when what was played is the
    capture signal, else over all of its material (between the markers, if any)."""
    model = torch.jit.load(str(model_path), map_location="cpu")
    knobs, defaults = list(model.knobs), list(model.knob_defaults)
    results = []
    for pair in pairs:
        if pair.recorded.rate != model.sample_rate:
            raise RecordingError(f"{pair.recorded.path}: recorded at {pair.recorded.rate} Hz but {model_path.name} "
                                 f"plays at {model.sample_rate} Hz")
        unknown = sorted(set(pair.knobs) - set(knobs))
        if unknown:
            raise RecordingError(f"{model_path}: has no knob {', '.join(unknown)} (its knobs: {', '.join(knobs) or 'none'})")
        values = [pair.knobs.get(k, d) for k, d in zip(knobs, defaults)]
        # The capture signal's own blocks before the held-out one may have been trained on.
        held_out = pair.signal.startswith("capture signal")
        span = pair.regions["holdout"] if held_out else (pair.regions["train"][0], pair.regions["holdout"][1])
        figures = score(model, pair, span, values)
        results.append({"out": str(pair.recorded.path), "knobs": dict(zip(knobs, values)),
                        "latency_samples": pair.alignment.latency, "span": "held-out block" if held_out else "all",
                        "seconds": (span[1] - span[0]) / pair.played.rate,
                        "esr": figures["esr"], "esr_pre_emphasised": figures["esr_pre_emphasised"]})
    return {"model": str(model_path), "pairs": results, "esr_mean": float(np.mean([r["esr"] for r in results]))}


def write_signal(out: Path, rate: int, picture: Optional[Path] = None) -> None:
    audio = capture_signal.generate(rate)
    out.parent.mkdir(parents=True, exist_ok=True)
    wavfile.write(out, rate, audio.astype(np.float32))
    layout = capture_signal.layout(rate)
    print(f"{out}: capture signal v{capture_signal.VERSION}, {layout.length / rate:.1f} s, {rate} Hz, "
          f"32-bit float, peak {20 * np.log10(np.max(np.abs(audio))):.1f} dBFS")
    if picture:
        draw_signal(audio, layout, picture)
        print(f"{picture}: its levels and spectrogram over time")


def draw_signal(audio: np.ndarray, layout: capture_signal.Layout, path: Path) -> None:
    """Peak and RMS level per 50 ms, and the spectrogram, over time, with the blocks named."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rate = layout.rate
    hop = int(0.05 * rate)
    frames = audio[:len(audio) // hop * hop].reshape(-1, hop)
    t = (np.arange(len(frames)) + 0.5) * hop / rate
    figure, (levels, spectrum) = plt.subplots(2, 1, figsize=(13, 7), sharex=True)
    levels.plot(t, 20 * np.log10(np.max(np.abs(frames), axis=1) + 1e-6), lw=0.6, label="peak")
    levels.plot(t, 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12), lw=0.6, label="RMS")
    for name, (first, last) in layout.blocks.items():
        levels.axvspan(first / rate, last / rate, alpha=0.08 if name in capture_signal.TRAINING_BLOCKS else 0.2,
                       color="C2" if name in capture_signal.TRAINING_BLOCKS else "C3")
        levels.text((first + last) / 2 / rate, 2, name, ha="center", fontsize=8)
    for p in layout.start_markers + layout.end_markers:
        levels.axvline(p / rate, color="k", lw=0.5)
    levels.set_ylim(-90, 8)
    levels.set_ylabel("dBFS per 50 ms")
    levels.set_title(f"capture signal v{capture_signal.VERSION}: markers (lines), training blocks (green), "
                     f"validation and held-out blocks (red)")
    levels.legend(loc="lower right")
    # A floor far below the quietest material, so silence draws as dark rather than blank.
    floor = 1e-8 * np.random.default_rng(0).standard_normal(len(audio))
    spectrum.specgram(audio + floor, NFFT=2048, Fs=rate, noverlap=1024, cmap="magma", vmin=-150)
    spectrum.set_yscale("symlog", linthresh=200)
    spectrum.set_ylim(20, rate / 2)
    spectrum.set_xlabel("time (s)")
    spectrum.set_ylabel("frequency (Hz)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    signal = commands.add_parser("signal", help="write the capture signal")
    signal.add_argument("out", type=Path)
    signal.add_argument("--rate", type=int, default=48000, choices=capture_signal.RATES)
    signal.add_argument("--picture", type=Path, help="also draw its levels and spectrogram into this PNG")

    def pairs_option(command):
        command.add_argument("--pair", nargs="+", action="append", required=True, metavar="IN.wav OUT.wav [KNOB=VALUE]",
                             help="what was played, the gear's recording of it, and the knob settings it was made at")
        command.add_argument("--channel", type=int, help="channel of stereo recordings to use (1-based; default 1)")

    trainer = commands.add_parser("train", help="train a model from recorded pairs")
    pairs_option(trainer)
    trainer.add_argument("--out", type=Path, required=True, help="model file to write (.pt)")
    trainer.add_argument("--name", help="model name shown in the plugin (default: --gear, else the file name)")
    trainer.add_argument("--author", default="")
    trainer.add_argument("--gear", help="what was captured, for the description")
    trainer.add_argument("--size", choices=list(SIZES), default="standard",
                         help="LSTM hidden size: " + ", ".join(f"{k} {v}" for k, v in SIZES.items()))
    trainer.add_argument("--minutes", type=float, default=15.0, help="wall-time bound of the whole command")
    trainer.add_argument("--steps", type=int,
                         help="train for this many updates, the same run on any machine (--minutes still bounds it)")
    trainer.add_argument("--seed", type=int, default=1)
    trainer.add_argument("--pre-emphasis", type=float, default=fit.PRE_EMPHASIS,
                         help="coefficient a of the 1 - a z^-1 filter in the training loss (lower weighs the bass more)")
    trainer.add_argument("--report", type=Path, help="report folder (default: the model path without .pt)")
    trainer.add_argument("--quiet", action="store_true", help="no progress bar")

    scorer = commands.add_parser("score", help="ESR of a model against recorded pairs")
    scorer.add_argument("model", type=Path)
    pairs_option(scorer)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    started = time.time() - IMPORT_SECONDS
    args = arguments(argv)
    try:
        if args.command == "signal":
            write_signal(args.out, args.rate, args.picture)
            return 0
        if args.command == "train" and args.out.suffix != ".pt":
            raise RecordingError(f"{args.out}: the model file name must end in .pt")
        if args.command == "train" and not 0 < args.minutes:
            raise RecordingError(f"--minutes {args.minutes:g}: give a positive number of minutes")
        if args.command == "train" and args.steps is not None and args.steps <= 0:
            raise RecordingError(f"--steps {args.steps}: give a positive number of steps")
        pairs = load_pairs(args.pair, args.channel)
        for pair in pairs:
            for note in pair.played.notes + pair.recorded.notes + pair.alignment.notes:
                print(f"note: {note}", file=sys.stderr)
            print(f"{pair.label}: {pair.signal}, latency {pair.alignment.latency} samples "
                  f"({1000 * pair.alignment.latency / pair.recorded.rate:.2f} ms, {pair.alignment.method}), "
                  f"drift {pair.alignment.drift_ppm:+.2f} ppm", file=sys.stderr)
        if args.command == "score":
            print(json.dumps(score_model(args.model, pairs)))
            return 0
        result = train(pairs, args.out, name=args.name, author=args.author, gear=args.gear, size=args.size,
                       minutes=args.minutes, seed=args.seed, quiet=args.quiet, report=args.report, started=started,
                       pre_emphasis=args.pre_emphasis, steps=args.steps)
    except RecordingError as error:
        print(f"capture: {error}", file=sys.stderr)
        return 1
    print(f"{result['model']}: held-out ESR " + ", ".join(f"{100 * e:.2f} %" for e in result["esr_holdout"])
          + f" in {result['minutes']} min; report in {args.report or args.out.with_suffix('')}", file=sys.stderr)
    print(json.dumps({k: result[k] for k in ("model", "latency_samples", "drift_ppm", "esr_holdout",
                                             "esr_holdout_mean", "minutes")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
