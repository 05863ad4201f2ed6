"""Synthesised guitar-like signals for training and testing, reproducible from a seed.

A signal is a sequence of phrases: single-note lines, strummed chords, palm-muted chugs,
sine sweeps, noise bursts and silence, each at its own level, so a model sees the range of
pitch, dynamics and spectra a guitar DI gives. Levels are in volts: phrase peaks between
-45 and -3 dBV, and some phrases swell or fade by up to 12 dB, so the hottest moments reach a
few volts, as a high-output pickup played hard does.
"""

from typing import Dict, Optional, Sequence

import numpy as np
from scipy import signal

SAMPLE_RATE = 48000

# MIDI notes of the open strings in standard tuning, low E to high E.
OPEN_STRINGS = np.array([40, 45, 50, 55, 59, 64])
# Fret per string (None: not played) for common open chords; shifted shapes give the rest.
CHORD_SHAPES = {
    "E": [0, 2, 2, 1, 0, 0], "Em": [0, 2, 2, 0, 0, 0], "A": [None, 0, 2, 2, 2, 0],
    "Am": [None, 0, 2, 2, 1, 0], "D": [None, None, 0, 2, 3, 2], "G": [3, 2, 0, 0, 0, 3],
    "C": [None, 3, 2, 0, 1, 0], "power": [0, 2, 2, None, None, None],
}


def midi_to_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _mix(out: np.ndarray, start: int, sound: np.ndarray) -> None:
    """Add `sound` into `out` from `start`, dropping what runs past the end (rounding of
    durations to samples can make a sound one sample longer than the room left for it)."""
    end = min(len(out), start + len(sound))
    out[start:end] += sound[:end - start]


def pluck(frequency: float, duration: float, rng: np.random.Generator, decay: float = 2.0,
          brightness: float = 0.6, pick_position: float = 0.15) -> np.ndarray:
    """One plucked string by Karplus-Strong, peak-normalised to 1.

    decay is the 60 dB decay time in seconds; brightness in (0, 1] opens the excitation's
    low-pass; pick_position (fraction of the string) sets the comb notch of the pluck point.
    """
    length = int(duration * SAMPLE_RATE)
    # The two-point average in the loop adds half a sample of delay.
    period = max(2, int(round(SAMPLE_RATE / frequency - 0.5)))
    excitation = rng.uniform(-1.0, 1.0, period)
    excitation = signal.lfilter([brightness], [1.0, brightness - 1.0], excitation)
    notch = max(1, int(round(pick_position * period)))
    excitation = excitation - np.roll(excitation, notch)
    loss = 10.0 ** (-3.0 / (frequency * decay))
    # y[n] = x[n] + loss/2 (y[n-P] + y[n-P-1]); every sample in a block of P depends only on
    # earlier blocks, so the recursion runs one period at a time instead of one sample.
    y = np.zeros(length + period + 1)
    y[1:period + 1] = excitation
    for start in range(period + 1, len(y), period):
        end = min(start + period, len(y))
        y[start:end] += 0.5 * loss * (y[start - period:end - period] + y[start - period - 1:end - period - 1])
    y = y[1:length + 1]
    fade = min(len(y), int(0.005 * SAMPLE_RATE))
    y[len(y) - fade:] *= np.linspace(1.0, 0.0, fade)
    peak = np.max(np.abs(y))
    return y / peak if peak > 0 else y


def strum(notes: Sequence[float], duration: float, rng: np.random.Generator, decay: float,
          spread: float = 0.015, downstroke: bool = True) -> np.ndarray:
    """A chord: one pluck per note, each string delayed by up to `spread` seconds."""
    order = list(notes) if downstroke else list(reversed(notes))
    out = np.zeros(int(duration * SAMPLE_RATE))
    for i, note in enumerate(order):
        offset = int(i * spread * rng.uniform(0.6, 1.4) * SAMPLE_RATE)
        if offset >= len(out):
            break
        tone = pluck(midi_to_hz(note), duration - offset / SAMPLE_RATE, rng, decay=decay,
                     brightness=rng.uniform(0.3, 0.9), pick_position=rng.uniform(0.08, 0.3))
        _mix(out, offset, tone * rng.uniform(0.6, 1.0))
    return out / max(np.max(np.abs(out)), 1e-9)


def chord_notes(shape: str, shift: int = 0):
    frets = CHORD_SHAPES[shape]
    return [int(OPEN_STRINGS[s] + f + shift) for s, f in enumerate(frets) if f is not None]


def _note_line(duration, rng):
    out = np.zeros(int(duration * SAMPLE_RATE))
    t = 0.0
    root = rng.integers(40, 64)
    scale = np.array([0, 3, 5, 7, 10, 12, 15, 17])  # minor pentatonic over two octaves
    while t < duration - 0.05:
        length = rng.choice([0.125, 0.25, 0.25, 0.5, 1.0]) * rng.uniform(0.8, 1.2)
        note = root + rng.choice(scale) + 12 * (rng.random() < 0.2)
        tone = pluck(midi_to_hz(note), min(length * 2.5, duration - t), rng,
                     decay=rng.uniform(0.5, 3.0), brightness=rng.uniform(0.3, 1.0),
                     pick_position=rng.uniform(0.05, 0.35))
        start = int(t * SAMPLE_RATE)
        _mix(out, start, tone * rng.uniform(0.4, 1.0))
        t += length
    return out


def _chords(duration, rng, palm_muted=False):
    out = np.zeros(int(duration * SAMPLE_RATE))
    t = 0.0
    while t < duration - 0.05:
        length = (rng.choice([0.125, 0.25]) if palm_muted else rng.choice([0.25, 0.5, 1.0, 2.0]))
        shape = "power" if palm_muted or rng.random() < 0.3 else rng.choice(list(CHORD_SHAPES))
        shift = int(rng.integers(0, 8)) if shape == "power" else 0
        ring = min(length * (1.0 if palm_muted else 3.0), duration - t)
        tone = strum(chord_notes(shape, shift), ring, rng,
                     decay=rng.uniform(0.08, 0.25) if palm_muted else rng.uniform(1.0, 4.0),
                     spread=rng.uniform(0.002, 0.03), downstroke=bool(rng.random() < 0.7))
        start = int(t * SAMPLE_RATE)
        _mix(out, start, tone * rng.uniform(0.5, 1.0))
        t += length
    return out


def _sweep(duration, rng):
    t = np.arange(int(duration * SAMPLE_RATE)) / SAMPLE_RATE
    low, high = 40.0 * rng.uniform(1, 2), 12000.0 * rng.uniform(0.5, 1)
    if rng.random() < 0.5:
        low, high = high, low
    tone = signal.chirp(t, low, duration, high, method="logarithmic")
    return tone * np.minimum(1.0, np.minimum(t, duration - t) / 0.02)


def _noise_bursts(duration, rng):
    out = np.zeros(int(duration * SAMPLE_RATE))
    t = 0.0
    while t < duration - 0.05:
        length = min(rng.uniform(0.02, 0.3), duration - t)
        burst = rng.standard_normal(int(length * SAMPLE_RATE))
        b, a = signal.butter(2, rng.uniform(500, 15000), fs=SAMPLE_RATE)
        burst = signal.lfilter(b, a, burst) * np.exp(-np.arange(len(burst)) / (0.3 * len(burst)))
        start = int(t * SAMPLE_RATE)
        _mix(out, start, burst / max(np.max(np.abs(burst)), 1e-9))
        t += length + rng.uniform(0.0, 0.3)
    return out


PHRASES = {
    "notes": (_note_line, 0.30),
    "chords": (_chords, 0.25),
    "chugs": (lambda d, r: _chords(d, r, palm_muted=True), 0.15),
    "sweep": (_sweep, 0.10),
    "noise": (_noise_bursts, 0.08),
    "silence": (lambda d, r: np.zeros(int(d * SAMPLE_RATE)), 0.12),
}


def guitar_like(duration: float, seed: int) -> np.ndarray:
    """`duration` seconds of varied guitar-like audio (float64 volts), the same for a seed."""
    rng = np.random.default_rng(seed)
    names = list(PHRASES)
    weights = np.array([PHRASES[n][1] for n in names])
    length = int(duration * SAMPLE_RATE)
    out = np.zeros(length)
    position = 0
    while position < length:
        name = rng.choice(names, p=weights / weights.sum())
        seconds = min(rng.uniform(0.5, 4.0), (length - position) / SAMPLE_RATE)
        phrase = PHRASES[name][0](seconds, rng)[:length - position]
        # Levels spread over 40 dB, with the loudest phrases near a hot pickup's output.
        level = 10.0 ** (rng.uniform(-45.0, -3.0) / 20.0)
        # A slow swell or fade inside some phrases, as from a volume knob or picking dynamics.
        ramp = np.linspace(1.0, 10.0 ** (rng.uniform(-12.0, 12.0) / 20.0), len(phrase))
        out[position:position + len(phrase)] = phrase * level * (ramp if rng.random() < 0.3 else 1.0)
        position += len(phrase)
    out += 10.0 ** (-90.0 / 20.0) * rng.standard_normal(length)  # pickup and preamp hiss
    return out


def splits(seed: int, train_seconds: float = 240.0, validation_seconds: float = 30.0,
           test_seconds: float = 30.0) -> Dict[str, np.ndarray]:
    """Independent train / validation / test signals: each from its own stream of the seed."""
    streams = np.random.SeedSequence(seed).spawn(3)
    seeds = [int(s.generate_state(1)[0]) for s in streams]
    return {
        "train": guitar_like(train_seconds, seeds[0]),
        "validation": guitar_like(validation_seconds, seeds[1]),
        "test": guitar_like(test_seconds, seeds[2]),
    }


def riff(seed: Optional[int] = 7, seconds: float = 6.0) -> np.ndarray:
    """A fixed rock riff (power-chord chugs, an open chord, a short lick) for demos, float64 volts."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / 120.0
    out = np.zeros(int(seconds * SAMPLE_RATE))
    events = []
    t = 0.0
    for bar_shift in (0, 3, 5):
        for _ in range(4):
            events.append((t, "chug", bar_shift))
            t += beat / 2
        events.append((t, "chord", bar_shift))
        t += beat
    for note in (64, 67, 69, 71, 69, 67, 64, 62):
        events.append((t, "note", note))
        t += beat / 4
    events.append((t, "chord", 0))
    for start, kind, value in events:
        begin = int(start * SAMPLE_RATE)
        if begin >= len(out):
            break
        remaining = (len(out) - begin) / SAMPLE_RATE
        if kind == "chug":
            tone = 0.6 * strum(chord_notes("power", value), min(beat / 2, remaining), rng,
                               decay=0.15, spread=0.004)
        elif kind == "chord":
            tone = strum(chord_notes("power", value) + [int(OPEN_STRINGS[3] + 2 + value)],
                         min(4 * beat, remaining), rng, decay=2.5, spread=0.012)
        else:
            tone = 0.8 * pluck(midi_to_hz(value), min(beat, remaining), rng, decay=1.5,
                               brightness=0.8, pick_position=0.12)
        _mix(out, begin, tone)
    return 0.4 * out / np.max(np.abs(out))
