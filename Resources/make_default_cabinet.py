#!/usr/bin/python3
"""Writes Resources/DefaultCabinet.wav, the built-in cabinet impulse response TorchAmp plays behind
its bundled amp models: a procedural 4x12-style closed-back cabinet, made without any recording.

How it is made (deterministic: the same file every run):
  - a unit impulse at 48 kHz through a cascade of Audio EQ Cookbook biquads, in double precision:
      high-pass 70 Hz (Q 0.7)            the closed cabinet's low cut
      peak +5 dB at 110 Hz (Q 1.2)       its low resonance
      peak -3 dB at 700 Hz (Q 1.0)       the boxy mid dip
      peak +6 dB at 2.5 kHz (Q 1.5)      the cone's presence peak
      peak +3 dB at 4 kHz (Q 3)          a cone break-up resonance
      peak -8 dB at 6.5 kHz (Q 4)        a cone break-up notch
      two low-passes at 5 kHz (Q 0.707)  24 dB per octave above 5 kHz, as a guitar speaker falls
  - plus a floor reflection: the same response 0.9 ms later at 0.15 of the level,
  - 4096 samples (85 ms), the last 1024 faded out with half a Hann window,
  - scaled to a peak of 0.9, written as 32-bit float mono WAV.

usage: /usr/bin/python3 Resources/make_default_cabinet.py [OUT.wav]
"""

import sys
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import lfilter

RATE = 48000
LENGTH = 4096
FADE = 1024


def biquad(kind, f0, q, gain_db=0.0):
    """(b, a) of an Audio EQ Cookbook filter at RATE."""
    a_lin = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * f0 / RATE
    alpha = np.sin(w0) / (2.0 * q)
    cos = np.cos(w0)
    if kind == "highpass":
        b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "lowpass":
        b = [(1 - cos) / 2, 1 - cos, (1 - cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "peak":
        b = [1 + alpha * a_lin, -2 * cos, 1 - alpha * a_lin]
        a = [1 + alpha / a_lin, -2 * cos, 1 - alpha / a_lin]
    else:
        raise ValueError(kind)
    return np.array(b) / a[0], np.array(a) / a[0]


SECTIONS = [
    ("highpass", 70.0, 0.7, 0.0),
    ("peak", 110.0, 1.2, 5.0),
    ("peak", 700.0, 1.0, -3.0),
    ("peak", 2500.0, 1.5, 6.0),
    ("peak", 4000.0, 3.0, 3.0),
    ("peak", 6500.0, 4.0, -8.0),
    ("lowpass", 5000.0, 0.707, 0.0),
    ("lowpass", 5000.0, 0.707, 0.0),
]


def make():
    impulse = np.zeros(LENGTH)
    impulse[0] = 1.0
    h = impulse
    for kind, f0, q, gain in SECTIONS:
        b, a = biquad(kind, f0, q, gain)
        h = lfilter(b, a, h)
    delay = round(0.0009 * RATE)
    reflection = np.zeros(LENGTH)
    reflection[delay:] = h[: LENGTH - delay]
    h = h + 0.15 * reflection
    h[LENGTH - FADE :] *= 0.5 * (1.0 + np.cos(np.pi * np.arange(FADE) / FADE))
    return (0.9 * h / np.max(np.abs(h))).astype(np.float32)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("DefaultCabinet.wav")
    wavfile.write(out, RATE, make())
    print(f"wrote {out}: {LENGTH} samples at {RATE} Hz")


if __name__ == "__main__":
    main()
