"""A test signal from a generator that no training uses, to judge whether a model generalises.

    /usr/bin/python3 Models/testsignal.py OUT.wav [--rate 48000] [--seconds 30] [--seed 1]

Training material (signals.py, capture_signal.py) is Karplus-Strong plucks; this is another
instrument altogether: modal synthesis of a string (inharmonic partials, each with its own
decay, a two-stage decay, the pluck and pickup positions as combs), a pick-noise attack, a
pickup resonance and body modes, vibrato and hammer-ons, hum and hiss. The note shapes, the
rhythms and the level distribution (phrase peaks from 0.01 V to 1 V, a third of them above
0.6 V of the loudest, as a hot pickup played hard gives) are its own. The file written has the capture signal's markers around
the material, so a recording of it through gear can be aligned like a capture.
"""

import argparse
from pathlib import Path

import numpy as np
from scipy import signal as sps
from scipy.io import wavfile

SAMPLE_RATE = 48000
OPEN_STRINGS = (40, 45, 50, 55, 59, 64)
VOICINGS = ((0, 7, 12, 16, 19, 24), (0, 7, 12, 15, 19), (0, 7, 12), (0, 5, 10, 15), (0, 4, 7, 12),
            (0, 7, 10, 16))


def _hz(note):
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def string_note(f0, seconds, rng, rate, vibrato=0.0, target_note_hz=None, switch_at=None):
    """One modal string note, peak 1. Partials k f0 sqrt(1 + B k^2) with amplitudes from the
    pluck and pickup positions; higher partials decay faster; part of the energy dies in a
    prompt decay and the rest rings (two-stage decay). A hammer-on moves every partial to
    `target_note_hz` at `switch_at` seconds without a new attack."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    inharmonicity = rng.uniform(2e-5, 2e-4)
    pluck, pickup = rng.uniform(0.1, 0.3), rng.uniform(0.05, 0.25)
    tau = rng.uniform(0.6, 3.5)
    ratio = np.ones(n)
    if target_note_hz is not None:
        ratio = np.where(t < switch_at, 1.0, target_note_hz / f0)
    if vibrato:
        ratio = ratio * 2.0 ** (vibrato * np.sin(2 * np.pi * rng.uniform(4.0, 7.0) * t) * np.clip(t - 0.2, 0, 1) / 12)
    phase_base = 2 * np.pi * np.cumsum(ratio) / rate
    out = np.zeros(n)
    for k in range(1, 80):
        fk = k * f0 * np.sqrt(1 + inharmonicity * k * k)
        if fk * np.max(ratio) > min(0.45 * rate, 15000):
            break
        amplitude = np.sin(np.pi * k * pluck) * np.sin(np.pi * k * pickup) / k ** 1.1
        decay = tau / (1 + 0.004 * k * k)
        envelope = 0.6 * np.exp(-t / (0.08 * decay)) + 0.4 * np.exp(-t / decay)
        out += amplitude * envelope * np.sin(fk * phase_base + rng.uniform(0, 2 * np.pi))
    attack = int(rng.uniform(0.002, 0.006) * rate)
    out[:attack] += rng.standard_normal(attack) * np.linspace(1, 0, attack) * 0.3 * np.max(np.abs(out))
    return out / max(np.max(np.abs(out)), 1e-12)


def _colour(x, rng, rate):
    """Pickup resonance (second-order low-pass with a peak) and two body modes."""
    b, a = sps.iirpeak(rng.uniform(2500, 5000), rng.uniform(1.0, 3.0), fs=rate)
    resonant = 0.7 * sps.lfilter(*sps.butter(2, rng.uniform(4000, 7000), fs=rate), x) + 0.3 * sps.lfilter(b, a, x)
    for frequency in (rng.uniform(90, 130), rng.uniform(180, 260)):
        b, a = sps.iirpeak(frequency, 4.0, fs=rate)
        resonant += 0.15 * sps.lfilter(b, a, x)
    return resonant


def _notes(seconds, rng, rate):
    out = np.zeros(int(seconds * rate))
    t = 0.0
    root = int(rng.integers(40, 60))
    while t < seconds - 0.1:
        length = rng.choice([0.16, 0.33, 0.33, 0.66, 1.2]) * rng.uniform(0.9, 1.1)
        note = root + int(rng.choice([0, 2, 4, 7, 9, 12, 14, 16, 19]))
        hammer = rng.random() < 0.25
        tone = string_note(_hz(note), min(length * 2, seconds - t), rng, rate,
                           vibrato=0.25 if rng.random() < 0.3 else 0.0,
                           target_note_hz=_hz(note + 2) if hammer else None, switch_at=0.4 * length)
        start = int(t * rate)
        out[start:start + len(tone)] += tone[:len(out) - start] * rng.uniform(0.5, 1.0)
        t += length
    return out


def _chords(seconds, rng, rate, muted=False):
    out = np.zeros(int(seconds * rate))
    t = 0.0
    while t < seconds - 0.1:
        length = rng.choice([0.2, 0.3]) if muted else rng.choice([0.5, 1.0, 1.5])
        root = int(rng.integers(40, 52))
        voicing = VOICINGS[int(rng.integers(len(VOICINGS)))]
        ring = min(length * (0.8 if muted else 2.5), seconds - t)
        for i, interval in enumerate(voicing):
            offset = int(i * rng.uniform(0.005, 0.02) * rate)
            tone = string_note(_hz(root + interval), max(ring - offset / rate, 0.01), rng, rate)
            if muted:
                tone *= np.exp(-np.arange(len(tone)) / (rng.uniform(0.04, 0.1) * rate))
            start = int(t * rate) + offset
            if start < len(out):
                out[start:start + len(tone)] += tone[:len(out) - start] * rng.uniform(0.5, 1.0)
        t += length
    return out


def material(seconds: float = 30.0, seed: int = 1, rate: int = SAMPLE_RATE) -> np.ndarray:
    """`seconds` of test playing at `rate`, float64 volts, peak 1 V; the same for a seed."""
    rng = np.random.default_rng([seed, 777])
    n = int(seconds * rate)
    out = np.zeros(n)
    position = 0
    kinds = (("notes", _notes), ("chords", _chords), ("muted", lambda s, r, f: _chords(s, r, f, True)))
    while position < n:
        phrase_seconds = min(rng.uniform(1.5, 3.5), (n - position) / rate)
        name, make = kinds[int(rng.integers(len(kinds)))]
        phrase = _colour(make(phrase_seconds, rng, rate), rng, rate)
        # Phrase peaks log-uniform from 0.01 V to 1 V, a third of them from 0.6 V to 1 V.
        peak = 10.0 ** rng.uniform(-2.0, 0.0) if rng.random() < 0.67 else rng.uniform(0.6, 1.0)
        phrase *= peak / max(np.max(np.abs(phrase)), 1e-12)
        if rng.random() < 0.15:
            phrase[int(0.7 * len(phrase)):] = 0.0  # let it stop: a gap of silence
        out[position:position + len(phrase)] = phrase
        position += len(phrase)
    out *= 1.0 / np.max(np.abs(out))  # the loudest phrase peaks at 1 V
    t = np.arange(n) / rate
    out += 10.0 ** (-75 / 20) * np.sin(2 * np.pi * 50 * t) + 10.0 ** (-85 / 20) * rng.standard_normal(n)
    return np.clip(out, -1.0, 1.0)


def main():
    import capture_signal

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--rate", type=int, default=SAMPLE_RATE, choices=capture_signal.RATES)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peak", type=float, default=capture_signal.PEAK,
                        help="scale so the loudest sample is this (full scale 1)")
    args = parser.parse_args()
    audio = material(args.seconds, args.seed, args.rate)
    audio *= args.peak / np.max(np.abs(audio))
    wavfile.write(args.out, args.rate, capture_signal.with_markers(audio, args.rate).astype(np.float32))
    print(f"{args.out}: {len(audio) / args.rate:.1f} s of test playing between markers, {args.rate} Hz")


if __name__ == "__main__":
    main()
