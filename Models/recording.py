"""Reading a recorded pair (what was played, what the gear gave back), checking it, and lining
the two up: latency from the capture signal's markers (or by cross-correlation for a DI of the
user's own), clock drift from the distance between the start and end markers.

Every refusal is a RecordingError whose message is one line that starts with the file name and
says what to do.
"""

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy import signal as sps
from scipy.io import wavfile

import capture_signal

MAX_LATENCY_SECONDS = 0.5        # the silence after each marker click bounds what can be measured
EARLY_SECONDS = 0.04             # a recording may also start slightly early (over-compensated latency)
LENGTH_SLACK_SECONDS = 0.05      # recording lengths may differ by the latency plus about one buffer
CLIP_LEVEL = 0.999               # of full scale
CLIP_RUN = 3                     # identical samples in a row at that level: a flat top
SILENT_PEAK = 1e-4               # -80 dBFS
QUIET_DB = 40.0                  # a recording this much quieter than what was played is refused
MAX_DRIFT = 500e-6               # clocks further apart than this are not worth measuring
MIN_CORRELATION = 0.2            # normalised cross-correlation of a DI with its recording
DI_HOLDOUT = 0.15                # without the capture signal's layout: the last 15 % is held out
DI_VALIDATION = 0.10             # and the 10 % before it validates


class RecordingError(Exception):
    """A pair that cannot be trained on; the message is one line saying why and what to do."""


@dataclass
class Audio:
    path: Path
    rate: int
    samples: np.ndarray          # float64, first (or chosen) channel, full scale 1
    notes: List[str] = field(default_factory=list)


def read_wav(path, channel: Optional[int] = None) -> Audio:
    """A WAV file's chosen channel (1-based; default the first, with a note if there are more)."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # Chunks other than the format and the data (markers, metadata) are skipped, rightly.
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
    except FileNotFoundError:
        raise RecordingError(f"{path}: file not found") from None
    except (ValueError, OSError) as error:
        raise RecordingError(f"{path}: not a WAV file this can read ({error}); export it as WAV, "
                             f"16 or 24-bit PCM or 32-bit float") from None
    scale = {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2147483648.0, np.dtype(np.uint8): 128.0}
    samples = data.astype(np.float64)
    if data.dtype == np.uint8:
        samples -= 128.0
    samples /= scale.get(data.dtype, 1.0)
    notes = []
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    if channels > 1:
        index = channel or 1
        if not 1 <= index <= channels:
            raise RecordingError(f"{path}: has {channels} channels, --channel {index} is not one of them")
        if channel is None:
            notes.append(f"{path}: {channels} channels, using channel 1 (--channel N chooses another)")
        samples = samples[:, index - 1]
    if len(samples) == 0:
        raise RecordingError(f"{path}: holds no audio")
    return Audio(path=path, rate=int(rate), samples=np.ascontiguousarray(samples), notes=notes)


def check_not_clipped(audio: Audio) -> None:
    """Refuse flat tops at full scale: the gear's sound above that level is lost."""
    y = audio.samples
    loud = np.abs(y) >= CLIP_LEVEL
    if not loud.any():
        return
    same = np.concatenate([[False], (y[1:] == y[:-1]) & loud[1:] & loud[:-1]])
    # A run of CLIP_RUN identical loud samples has CLIP_RUN - 1 "same as previous" in a row.
    runs = np.convolve(same.astype(int), np.ones(CLIP_RUN - 1, dtype=int), mode="valid")
    hits = np.flatnonzero(runs >= CLIP_RUN - 1)
    if len(hits):
        where = hits[0] / audio.rate
        raise RecordingError(f"{audio.path}: clipped at full scale (first at {where:.2f} s, "
                             f"{int(np.count_nonzero(same))} samples stuck at the top): turn the gear's "
                             f"output or the interface's input gain down and record again")


@dataclass
class Alignment:
    """How a recording lines up with what was played."""
    latency: int                 # samples the recording lags what was played
    drift_samples: float         # end markers' lag minus start markers' lag
    drift_ppm: float
    method: str                  # "markers" or "cross-correlation"
    notes: List[str] = field(default_factory=list)


def has_markers(x: np.ndarray, rate: int) -> bool:
    """Whether `x` starts and ends with the capture signal's clicks in silence."""
    if rate not in capture_signal.RATES:
        return False
    start, end = capture_signal.marker_positions(len(x), rate)
    if min(start) < 1 or max(end) >= len(x):
        return False
    gap = int(MAX_LATENCY_SECONDS * rate)
    for p in start + end:
        around = np.concatenate([x[max(0, p - gap):p], x[p + 1:p + gap]])
        if abs(x[p] - capture_signal.MARKER_LEVEL) > 1e-3 or np.max(np.abs(around), initial=0.0) > 1e-3:
            return False
    return True


def _onset(y: np.ndarray, position: int, rate: int, noise: Tuple[float, float]) -> Optional[int]:
    """Where the response to the click at `position` starts, or None if there is none."""
    first = max(0, position - int(EARLY_SECONDS * rate))
    window = y[first:position + int(MAX_LATENCY_SECONDS * rate)] - noise[0]
    peak = np.max(np.abs(window), initial=0.0)
    if peak < max(8.0 * noise[1], SILENT_PEAK):
        return None
    # A low threshold finds the very start of a filtered click: a late estimate would ask the
    # model to predict the future, an early one only to learn a short delay.
    above = np.flatnonzero(np.abs(window) > max(10.0 * noise[1], 0.02 * peak))
    return first + int(above[0]) - position


def _fractional_shift(y: np.ndarray, a: int, b: int, width: int) -> float:
    """Sub-sample lag of y[b:] against y[a:] near zero, by a parabola through the correlation."""
    reference = y[a - 16:a + width]
    lags = np.arange(-3, 4)
    scores = np.array([np.dot(reference, y[b - 16 + lag:b + width + lag]) for lag in lags])
    best = int(np.argmax(scores))
    if best in (0, len(lags) - 1):
        return float(lags[best])
    left, centre, right = scores[best - 1:best + 2]
    denominator = left - 2 * centre + right
    return float(lags[best] + (0.5 * (left - right) / denominator if denominator else 0.0))


def align_by_markers(played: Audio, recorded: Audio) -> Alignment:
    """Latency from the start clicks, drift from the end clicks; refuses a recording without them."""
    rate, y = recorded.rate, recorded.samples
    start, end = capture_signal.marker_positions(len(played.samples), rate)
    quiet = y[:int(capture_signal.NOISE_FLOOR_SECONDS * rate)]
    noise = (float(np.median(quiet)), float(np.std(quiet))) if len(quiet) else (0.0, 0.0)
    onsets = [_onset(y, p, rate, noise) for p in start]
    # The two start clicks agree to a couple of samples, plus what a clock drift can add.
    agreement = 2 + MAX_DRIFT * (start[1] - start[0])
    if None in onsets or abs(onsets[0] - onsets[1]) > agreement:
        raise RecordingError(f"{recorded.path}: no alignment markers found (the clicks at "
                             f"{', '.join(f'{p / rate:g} s' for p in start)} of {played.path.name}): "
                             f"is it a recording of {played.path.name}, from its very start?")
    latency = onsets[0]
    ends = [_onset(y, e + onset, rate, noise) for e, onset in zip(end, onsets) if e + onset < len(y)]
    if len(ends) < len(end) or None in ends:
        raise RecordingError(f"{recorded.path}: the end markers of {played.path.name} are missing: "
                             f"record until the signal has finished playing (its last "
                             f"{capture_signal.TAIL:g} s are silence and clicks)")
    width = int(0.02 * rate)
    # Each end click against its own start click: the same distance apart for every pair.
    shifts = [whole + _fractional_shift(y, s + onset, e + onset + whole, width)
              for s, e, onset, whole in zip(start, end, onsets, ends)]
    drift = float(np.mean(shifts))
    ppm = 1e6 * drift / (end[0] - start[0])
    return Alignment(latency=latency, drift_samples=drift, drift_ppm=ppm, method="markers")


def align_by_correlation(played: Audio, recorded: Audio) -> Alignment:
    """Latency as the lag of the largest cross-correlation, for a DI without markers."""
    rate = recorded.rate
    x, y = played.samples, recorded.samples
    n = min(len(x), len(y), 60 * rate)
    correlation = sps.correlate(y[:n], x[:n], mode="full", method="fft")
    lags = np.arange(-n + 1, n)
    allowed = (lags >= -int(EARLY_SECONDS * rate)) & (lags <= int(MAX_LATENCY_SECONDS * rate))
    best = int(np.argmax(np.abs(correlation) * allowed))
    latency = int(lags[best])
    energy = np.sqrt(np.dot(x[:n], x[:n]) * np.dot(y[:n], y[:n])) + 1e-20
    strength = abs(correlation[best]) / energy
    if strength < MIN_CORRELATION:
        raise RecordingError(f"{recorded.path}: does not follow {played.path.name} (correlation "
                             f"{strength:.2f}, no markers): is it a recording of it?")
    note = (f"{played.path.name} is not the capture signal: latency {latency} samples found by "
            f"cross-correlation (correlation {strength:.2f}), which a filter in the gear can shift by a "
            f"few samples, and clock drift cannot be measured; record `capture.py signal` for both")
    return Alignment(latency=latency, drift_samples=0.0, drift_ppm=0.0, method="cross-correlation", notes=[note])


def align(played: Audio, recorded: Audio) -> Alignment:
    """Line the recording up with what was played, refusing drift of more than one sample over
    the file and lengths that disagree by more than the latency."""
    if has_markers(played.samples, played.rate):
        alignment = align_by_markers(played, recorded)
    else:
        alignment = align_by_correlation(played, recorded)
    if abs(alignment.drift_samples) > 1.0:
        raise RecordingError(
            f"{recorded.path}: clock drift of {alignment.drift_ppm:+.1f} ppm ({alignment.drift_samples:+.1f} "
            f"samples over the file): playback and recording ran on different clocks; play and record "
            f"through one interface (or lock both to one word clock) and record again")
    difference = len(recorded.samples) - len(played.samples)
    if abs(difference) > abs(alignment.latency) + LENGTH_SLACK_SECONDS * recorded.rate:
        raise RecordingError(
            f"{recorded.path}: {abs(difference) / recorded.rate:.2f} s {'longer' if difference > 0 else 'shorter'} "
            f"than {played.path.name}, more than its {alignment.latency}-sample latency: trim the recording "
            f"to start where playback started and to the same length")
    return alignment


def aligned(played: Audio, recorded: Audio, latency: int) -> np.ndarray:
    """The recording shifted by `latency` to line up with what was played, cut or padded to its length."""
    y = recorded.samples
    out = np.zeros(len(played.samples))
    if latency >= 0:
        piece = y[latency:latency + len(out)]
        out[:len(piece)] = piece
    else:
        piece = y[:len(out) + latency]
        out[-latency:-latency + len(piece)] = piece
    return out


def check_level(played: Audio, recorded: Audio, target: np.ndarray, span: Tuple[int, int]) -> None:
    """Refuse a silent recording, or one 40 dB quieter than what was played."""
    peak = np.max(np.abs(recorded.samples))
    if peak < SILENT_PEAK:
        raise RecordingError(f"{recorded.path}: silent (peak {20 * np.log10(peak + 1e-12):.0f} dBFS): check "
                             f"the cable from the gear to the interface's input and its gain")
    first, last = span
    level = 10 * np.log10(np.mean(target[first:last] ** 2) + 1e-20)
    reference = 10 * np.log10(np.mean(played.samples[first:last] ** 2) + 1e-20)
    if level < reference - QUIET_DB:
        raise RecordingError(f"{recorded.path}: {reference - level:.0f} dB quieter than {played.path.name} "
                             f"(RMS {level:.0f} dBFS): raise the gear's output or the interface's input gain "
                             f"and record again")


def regions(played: Audio, reference: Optional[np.ndarray]) -> Dict[str, Tuple[int, int]]:
    """Training, validation and held-out spans of what was played: the capture signal's own
    blocks when `played` is it, else (after any markers) the last parts of the file."""
    rate, n = played.rate, len(played.samples)
    if reference is not None:
        layout = capture_signal.layout(rate)
        return {"train": layout.span(*capture_signal.TRAINING_BLOCKS),
                "validation": layout.blocks["validation"], "holdout": layout.blocks["holdout"]}
    first, last = 0, n
    if has_markers(played.samples, rate):
        first, last = round(capture_signal.LEAD_IN * rate), n - round(capture_signal.TAIL * rate)
    length = last - first
    holdout = last - int(DI_HOLDOUT * length)
    validation = holdout - int(DI_VALIDATION * length)
    return {"train": (first, validation), "validation": (validation, holdout), "holdout": (holdout, last)}


def is_capture_signal(played: Audio) -> Optional[np.ndarray]:
    """The capture signal `played` is (within 16-bit rounding), or None."""
    rate = played.rate
    if rate not in capture_signal.RATES or len(played.samples) != capture_signal.layout(rate).length:
        return None
    reference = capture_signal.generate(rate)
    if np.max(np.abs(reference - played.samples)) > 1e-3:
        return None
    return reference
