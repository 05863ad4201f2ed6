"""The standard capture signal: what a musician plays through their gear to make a model of it.

Fixed and versioned: a recording made of version 1 today trains the same way next year. Its
layout, in order:

- alignment markers (clicks in silence) at the start, to find the recording's latency to the
  sample;
- sine sweeps and noise at several levels, and transients, so every frequency and level is seen;
- guitar-like material (single notes, chords, palm mutes, bends, slides) over the whole dynamic
  range up to full scale, with gaps of silence: the training material;
- a validation block and a held-out block of the same kinds of playing, never trained on;
- the same markers at the end, whose distance from the start ones shows clock drift between the
  interface's playback and recording.

Generated at 48 kHz (sample-rate-independent parts) and resampled to 44.1 or 96 kHz, except the
markers, which are single samples at every rate so their position is exact.
"""

from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np
from scipy import signal as sps

import signals

VERSION = 1
RATES = (44100, 48000, 96000)
BASE_RATE = signals.SAMPLE_RATE
PEAK = 10.0 ** (-0.5 / 20.0)     # the loudest sample: full scale less a margin for converters
MARKER_LEVEL = 0.5
# Click positions (seconds from the start, and before the end) and the silence that follows the
# material: each click is the only sound within MARKER_GAP seconds, which bounds the latency
# that can be measured.
MARKER_TIMES = (0.5, 1.5)
MARKER_GAP = 1.0
LEAD_IN = 2.5                     # seconds before the material starts
TAIL = 3.0                        # seconds after it ends (1 s silence, click, 1 s, click, 1 s)
NOISE_FLOOR_SECONDS = 0.45        # the silence before the first click, where noise is measured

# Seconds of each block of material, in the order they are played.
BLOCKS = (("sweeps", 13.0), ("noise", 12.0), ("transients", 7.0), ("guitar", 150.0),
          ("validation", 16.0), ("holdout", 20.0))
TRAINING_BLOCKS = ("sweeps", "noise", "transients", "guitar")


@dataclass(frozen=True)
class Layout:
    """Where each block sits in the signal at one sample rate, in samples."""
    rate: int
    length: int
    blocks: Dict[str, Tuple[int, int]]
    start_markers: Tuple[int, ...]
    end_markers: Tuple[int, ...]

    def span(self, *names) -> Tuple[int, int]:
        return self.blocks[names[0]][0], self.blocks[names[-1]][1]


def layout(rate: int = BASE_RATE) -> Layout:
    """The signal's layout at `rate`."""
    if rate not in RATES:
        raise ValueError(f"capture signal rates are {', '.join(map(str, RATES))} Hz, not {rate}")
    seconds = LEAD_IN
    blocks = {}
    for name, duration in BLOCKS:
        blocks[name] = (round(seconds * rate), round((seconds + duration) * rate))
        seconds += duration
    length = round((seconds + TAIL) * rate)
    start, end = marker_positions(length, rate)
    return Layout(rate=rate, length=length, blocks=blocks, start_markers=start, end_markers=end)


def markers(length: int, rate: int, start: Tuple[int, ...], end: Tuple[int, ...]) -> np.ndarray:
    """Silence with a click at every marker position."""
    out = np.zeros(length)
    out[list(start) + list(end)] = MARKER_LEVEL
    return out


def with_markers(material: np.ndarray, rate: int) -> np.ndarray:
    """`material` (at `rate`) between the standard start and end markers."""
    length = round(LEAD_IN * rate) + len(material) + round(TAIL * rate)
    out = markers(length, rate, *marker_positions(length, rate))
    out[round(LEAD_IN * rate):round(LEAD_IN * rate) + len(material)] = material
    return out


def marker_positions(length: int, rate: int) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """Where the clicks of a signal of `length` samples made by `with_markers` are."""
    return (tuple(round(t * rate) for t in MARKER_TIMES),
            tuple(length - round((TAIL - t) * rate) for t in MARKER_TIMES))


def generate(rate: int = BASE_RATE, version: int = VERSION) -> np.ndarray:
    """The capture signal at `rate` (float64, full scale 1), the same on every call."""
    if version != VERSION:
        raise ValueError(f"capture signal version {version} is unknown; this is version {VERSION}")
    where = layout(rate)
    streams = np.random.SeedSequence([VERSION, 20240]).spawn(len(BLOCKS))
    pieces = []
    for (name, duration), stream in zip(BLOCKS, streams):
        rng = np.random.default_rng(stream)
        piece = BUILDERS[name](duration, rng)
        pieces.append(_fit(piece, round(duration * BASE_RATE)))
    material = np.concatenate(pieces)
    if rate != BASE_RATE:
        g = np.gcd(rate, BASE_RATE)
        material = sps.resample_poly(material, rate // g, BASE_RATE // g)
    out = markers(where.length, rate, where.start_markers, where.end_markers)
    first, last = where.span(*[name for name, _ in BLOCKS])
    out[first:last] = _fit(material, last - first)
    return np.clip(out, -PEAK, PEAK)


def _fit(x: np.ndarray, length: int) -> np.ndarray:
    return np.pad(x, (0, max(0, length - len(x))))[:length]


def _db(level_db: float) -> float:
    return 10.0 ** (level_db / 20.0)


def _fade(x: np.ndarray, seconds: float = 0.01) -> np.ndarray:
    n = min(len(x) // 2, int(seconds * BASE_RATE))
    ramp = np.linspace(0.0, 1.0, n)
    x = x.copy()
    x[:n] *= ramp
    x[len(x) - n:] *= ramp[::-1]
    return x


def _peak_to(x: np.ndarray, level: float) -> np.ndarray:
    return x * (level / max(np.max(np.abs(x)), 1e-12))


def _sweeps(duration, rng):
    """Logarithmic sweeps 20 Hz to 20 kHz at four levels, up and down, with short gaps."""
    pieces = []
    for level_db, upward in ((-40, True), (-20, False), (-6, True), (-0.5, False)):
        t = np.arange(int(3.0 * BASE_RATE)) / BASE_RATE
        low, high = (20.0, 20000.0) if upward else (20000.0, 20.0)
        pieces += [_db(level_db) * _fade(sps.chirp(t, low, t[-1], high, method="logarithmic")),
                   np.zeros(int(0.25 * BASE_RATE))]
    return np.concatenate(pieces)


def _noise(duration, rng):
    """Band-limited Gaussian noise at four steady levels, then a ramp over 48 dB."""
    b, a = sps.butter(4, 16000, fs=BASE_RATE)
    pieces = []
    for rms_db in (-50, -35, -24, -16):
        burst = sps.lfilter(b, a, rng.standard_normal(int(1.5 * BASE_RATE)))
        pieces += [_fade(burst * _db(rms_db) / np.std(burst)), np.zeros(int(0.1 * BASE_RATE))]
    ramp_length = int(5.6 * BASE_RATE)
    pink = sps.lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                       [1, -2.494956002, 2.017265875, -0.522189400], rng.standard_normal(ramp_length))
    envelope = 10.0 ** (np.linspace(-60, -12, ramp_length) / 20.0)
    pieces.append(_fade(np.tanh(pink / np.std(pink) * envelope / PEAK) * PEAK))
    return np.concatenate(pieces)


def _transients(duration, rng):
    """Pulses a few samples wide and decaying bursts, at levels from -40 dB to full scale."""
    out = np.zeros(int(duration * BASE_RATE))
    position = int(0.05 * BASE_RATE)
    while position < len(out) - int(0.1 * BASE_RATE):
        level = _db(rng.uniform(-40.0, -0.5))
        if rng.random() < 0.4:
            width = int(rng.integers(1, 9))
            event = np.full(width, level * rng.choice([-1.0, 1.0]))
        else:
            length = int(rng.uniform(0.001, 0.03) * BASE_RATE)
            b, a = sps.butter(2, rng.uniform(800, 16000), fs=BASE_RATE)
            burst = sps.lfilter(b, a, rng.standard_normal(length))
            event = _peak_to(burst * np.exp(-np.arange(length) / (0.25 * length)), level)
        out[position:position + len(event)] += event
        position += int(rng.uniform(0.08, 0.25) * BASE_RATE)
    return out


def _bent_note(frequency, duration, rng, contour):
    """A plucked note whose pitch follows `contour` (semitones over time, one per sample), by
    reading the pluck at a varying speed: a bend or a slide without a new attack."""
    speed = 2.0 ** (contour / 12.0)
    source = signals.pluck(frequency, duration * float(np.max(speed)) + 0.01, rng,
                           decay=rng.uniform(1.0, 3.0), brightness=rng.uniform(0.4, 1.0),
                           pick_position=rng.uniform(0.08, 0.3))
    phase = np.concatenate([[0.0], np.cumsum(speed)[:-1]])
    return np.interp(phase, np.arange(len(source)), source)


def _bend(duration, rng):
    n = int(duration * BASE_RATE)
    t = np.arange(n) / BASE_RATE
    start, rise = rng.uniform(0.05, 0.4) * duration, rng.uniform(0.08, 0.3)
    depth = rng.choice([1.0, 2.0, 3.0])
    contour = depth * np.clip((t - start) / rise, 0.0, 1.0)
    if rng.random() < 0.5:  # release the bend
        back = start + rise + rng.uniform(0.1, 0.4)
        contour -= depth * np.clip((t - back) / rise, 0.0, 1.0)
    if rng.random() < 0.5:  # finger vibrato on the held note
        contour += 0.3 * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * t) * (t > start + rise)
    note = rng.integers(52, 76)
    return _bent_note(signals.midi_to_hz(note), duration, rng, contour)


def _slide(duration, rng):
    n = int(duration * BASE_RATE)
    t = np.arange(n) / BASE_RATE
    interval = rng.choice([-7, -5, -3, -2, 2, 3, 5, 7, 12])
    start, glide = rng.uniform(0.1, 0.5) * duration, rng.uniform(0.05, 0.25)
    contour = interval * np.clip((t - start) / glide, 0.0, 1.0)
    note = rng.integers(40, 70)
    return _bent_note(signals.midi_to_hz(note), duration, rng, contour)


def _muted_notes(duration, rng):
    """Palm-muted single notes: short decays, dark picking."""
    out = np.zeros(int(duration * BASE_RATE))
    t = 0.0
    note = rng.integers(40, 52)
    while t < duration - 0.05:
        length = rng.choice([0.125, 0.125, 0.25]) * rng.uniform(0.9, 1.1)
        tone = signals.pluck(signals.midi_to_hz(note + rng.choice([0, 0, 0, 2, 3, 5, 7])),
                             min(0.3, duration - t), rng, decay=rng.uniform(0.06, 0.2),
                             brightness=rng.uniform(0.2, 0.5), pick_position=rng.uniform(0.1, 0.2))
        signals._mix(out, int(t * BASE_RATE), tone * rng.uniform(0.6, 1.0))
        t += length
    return out


PHRASES = {
    "notes": (signals._note_line, 0.22),
    "chords": (signals._chords, 0.22),
    "chugs": (lambda d, r: signals._chords(d, r, palm_muted=True), 0.12),
    "muted notes": (_muted_notes, 0.08),
    "bend": (_bend, 0.12),
    "slide": (_slide, 0.10),
    "silence": (lambda d, r: np.zeros(int(d * BASE_RATE)), 0.06),
}


def _phrase_level(rng, band=None):
    """Peak level of a phrase: half of them anywhere from -45 dB to full scale, half in the top
    14 dB, where distortion and compression do most of their work."""
    if band is not None:
        low, high = band
    else:
        low, high = (-45.0, -0.5) if rng.random() < 0.5 else (-14.0, -0.5)
    return _db(rng.uniform(low, high))


def _playing(duration, rng, bands=None):
    """Guitar-like phrases at varied levels; with `bands`, the phrases cycle through those level
    ranges (dB) so a short block still covers the whole dynamic range."""
    names = list(PHRASES)
    weights = np.array([PHRASES[n][1] for n in names])
    length = int(duration * BASE_RATE)
    out = np.zeros(length)
    position, index = 0, 0
    while position < length:
        name = rng.choice(names, p=weights / weights.sum())
        seconds = min(rng.uniform(1.0, 4.0), (length - position) / BASE_RATE)
        phrase = PHRASES[name][0](seconds, rng)[:length - position]
        band = bands[index % len(bands)] if bands else None
        if np.any(phrase):
            phrase = _peak_to(phrase, _phrase_level(rng, band))
            if rng.random() < 0.25:  # a swell or fade, as from a volume knob
                phrase *= np.linspace(1.0, _db(rng.uniform(-18.0, 0.0)), len(phrase))[::rng.choice([-1, 1])]
        out[position:position + len(phrase)] = phrase
        position += len(phrase)
        index += 1
    return out


LEVEL_BANDS = ((-40.0, -26.0), (-6.0, -0.5), (-26.0, -14.0), (-14.0, -6.0), (-3.0, -0.5))

BUILDERS = {
    "sweeps": _sweeps,
    "noise": _noise,
    "transients": _transients,
    "guitar": _playing,
    "validation": lambda d, r: _playing(d, r, LEVEL_BANDS),
    "holdout": lambda d, r: _playing(d, r, LEVEL_BANDS),
}
