"""Reference effects the bundled models learn: simulated circuits and standard effects.

Every target is a function `render(x, knobs) -> y` at 48 kHz: x is float audio shaped
[rows, time] (volts, roughly guitar DI level), knobs is [rows, knob_count] in [0, 1], one
setting per row held for the whole row, and y is float32 [rows, time]. Each row starts from
rest, so a row is exactly what a model sees when it starts from a zero state. Rows are
processed together so the sample-by-sample recursions stay vectorised in numpy.
"""

from dataclasses import dataclass
from typing import Callable, Dict, List

import numpy as np
from scipy import signal

SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    knobs: List[str]
    knob_defaults: List[float]
    render: Callable[[np.ndarray, np.ndarray], np.ndarray]
    # Whether the model adds its input to its output: worth it when the effect stays close to
    # the dry signal for some settings, because the network then only learns the difference.
    skip: bool


def _as_rows(x: np.ndarray, knobs: np.ndarray, count: int):
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    knobs = np.asarray(knobs, dtype=np.float64).reshape(-1, count)
    if knobs.shape[0] == 1 and x.shape[0] > 1:
        knobs = np.repeat(knobs, x.shape[0], axis=0)
    if knobs.shape[0] != x.shape[0]:
        raise ValueError(f"{x.shape[0]} audio rows but {knobs.shape[0]} knob settings")
    if knobs.size and (knobs.min() < 0.0 or knobs.max() > 1.0):
        raise ValueError("knob values must be in [0, 1]")
    return x, knobs


# --- (a) Diode clipper -----------------------------------------------------------------
# The classic RC low-pass into a pair of antiparallel silicon diodes (Yeh, "Digital
# implementation of musical distortion circuits", 2009), component values from that study.
CLIPPER_R = 2.2e3          # ohms
CLIPPER_C = 10e-9          # farads: corner 1 / (2 pi R C) = 7.2 kHz
CLIPPER_IS = 2.52e-9       # diode saturation current, amps
CLIPPER_VT = 45.3e-3       # thermal voltage times ideality factor, volts
CLIPPER_OVERSAMPLING = 4   # the diodes' conductance makes the ODE stiff; 4x keeps aliasing and
                           # trapezoidal-rule ringing far below the 1% error the model aims at
CLIPPER_MAX_DRIVE_DB = 24.0
CLIPPER_SETTLE = 256       # samples: far longer than the circuit's and the resamplers' memory


def clipper_drive_gain(drive):
    """Input gain for the drive knob: 0 dB at 0, +24 dB at 1, linear in dB."""
    return 10.0 ** (CLIPPER_MAX_DRIVE_DB * np.asarray(drive, dtype=np.float64) / 20.0)


def diode_clipper_ode(vin: np.ndarray, sample_rate: float) -> np.ndarray:
    """Solve dv/dt = (vin - v)/(RC) - 2 Is/C sinh(v/Vt) with the trapezoidal rule.

    vin is [rows, time] at `sample_rate`; each time step is solved by damped Newton
    iterations, vectorised across rows. Returns v with the same shape, starting from v = 0.
    """
    dt = 1.0 / sample_rate
    a = 1.0 / (CLIPPER_R * CLIPPER_C)
    b = 2.0 * CLIPPER_IS / CLIPPER_C

    def f(v, u):
        return (u - v) * a - b * np.sinh(v / CLIPPER_VT)

    rows, length = vin.shape
    v = np.zeros(rows)
    f_prev = f(v, vin[:, 0])
    out = np.empty_like(vin)
    for n in range(length):
        u = vin[:, n]
        known = v + 0.5 * dt * f_prev
        guess = v.copy()
        for _ in range(50):
            residual = guess - 0.5 * dt * f(guess, u) - known
            slope = 1.0 + 0.5 * dt * (a + b / CLIPPER_VT * np.cosh(guess / CLIPPER_VT))
            # Limit each step to a few thermal voltages: sinh grows so fast that a full Newton
            # step from far away can overshoot into overflow.
            step = np.clip(residual / slope, -4 * CLIPPER_VT, 4 * CLIPPER_VT)
            guess -= step
            if np.max(np.abs(step)) < 1e-10:
                break
        v = guess
        f_prev = f(v, u)
        out[:, n] = v
    return out


def _clipper_at_rate(driven: np.ndarray) -> np.ndarray:
    up = signal.resample_poly(driven, CLIPPER_OVERSAMPLING, 1, axis=1)
    v = diode_clipper_ode(up, SAMPLE_RATE * CLIPPER_OVERSAMPLING)
    return signal.resample_poly(v, 1, CLIPPER_OVERSAMPLING, axis=1)[:, :driven.shape[1]]


def render_diode_clipper(x: np.ndarray, knobs: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Diode clipper with the drive knob, output in volts.

    The circuit forgets its past within a few RC time constants (22 us) and the resampling
    filters within ~20 samples, so long rows are cut into chunks that each start and end
    CLIPPER_SETTLE samples wide of their span and are solved side by side: the same result as
    one long solve (to float precision), with far fewer steps of the sample-by-sample loop.
    """
    x, knobs = _as_rows(x, knobs, 1)
    driven = x * clipper_drive_gain(knobs[:, 0])[:, None]
    rows, length = driven.shape
    chunks = -(-length // chunk)
    padded = np.zeros((rows, chunks * chunk + 2 * CLIPPER_SETTLE))
    padded[:, CLIPPER_SETTLE:CLIPPER_SETTLE + length] = driven
    windows = np.stack([padded[:, i * chunk:(i + 1) * chunk + 2 * CLIPPER_SETTLE]
                        for i in range(chunks)], axis=1)
    v = _clipper_at_rate(windows.reshape(rows * chunks, -1))[:, CLIPPER_SETTLE:CLIPPER_SETTLE + chunk]
    return v.reshape(rows, chunks * chunk)[:, :length].astype(np.float32)


# --- (b) Asymmetric overdrive with tone ----------------------------------------------------
# Tube-Screamer-like structure: the op-amp gain stage only boosts above ~720 Hz (its 4.7k /
# 47 nF leg), so bass stays clean and mids clip; the clean signal is added back after the
# clipper (the op-amp's unity-gain path). Unlike the original's matched diodes, one side clips
# on one diode and the other on two in series, which gives the even harmonics of an asymmetric
# pedal. A coupling capacitor removes the DC that asymmetric clipping makes, then the tone
# control's low-pass sets the brightness.
OVERDRIVE_EMPHASIS_HZ = 720.0
OVERDRIVE_MIN_GAIN = 51e3 / 4.7e3           # drive pot at 0: 51k / 4.7k
OVERDRIVE_MAX_GAIN = (51e3 + 500e3) / 4.7e3  # drive pot at 1: (51k + 500k) / 4.7k
OVERDRIVE_OPAMP_LOWPASS_HZ = 1.0 / (2 * np.pi * 51e3 * 51e-12 * 4)  # feedback cap, averaged over the pot
OVERDRIVE_CLIP_POSITIVE = 0.55   # one silicon diode, volts
OVERDRIVE_CLIP_NEGATIVE = 1.10   # two diodes in series, volts
OVERDRIVE_COUPLING_HZ = 20.0
OVERDRIVE_TONE_MIN_HZ = 800.0
OVERDRIVE_TONE_MAX_HZ = 8000.0
OVERDRIVE_LEVEL = 0.5            # output volume, keeps the output near the input's level


def overdrive_gain(drive):
    """Gain of the emphasised band: log taper from 51k/4.7k to 551k/4.7k (21 to 41 dB)."""
    drive = np.asarray(drive, dtype=np.float64)
    return OVERDRIVE_MIN_GAIN * (OVERDRIVE_MAX_GAIN / OVERDRIVE_MIN_GAIN) ** drive


def overdrive_tone_hz(tone):
    """Cut-off of the tone low-pass: 800 Hz at 0 to 8 kHz at 1, log taper."""
    tone = np.asarray(tone, dtype=np.float64)
    return OVERDRIVE_TONE_MIN_HZ * (OVERDRIVE_TONE_MAX_HZ / OVERDRIVE_TONE_MIN_HZ) ** tone


def asymmetric_soft_clip(u: np.ndarray) -> np.ndarray:
    """tanh saturation towards +0.55 V on one side and -1.1 V on the other; slope 1 at 0."""
    return np.where(u >= 0,
                    OVERDRIVE_CLIP_POSITIVE * np.tanh(u / OVERDRIVE_CLIP_POSITIVE),
                    OVERDRIVE_CLIP_NEGATIVE * np.tanh(u / OVERDRIVE_CLIP_NEGATIVE))


def _one_pole(cutoff_hz: float, kind: str):
    return signal.butter(1, cutoff_hz, btype=kind, fs=SAMPLE_RATE)


def render_overdrive(x: np.ndarray, knobs: np.ndarray) -> np.ndarray:
    x, knobs = _as_rows(x, knobs, 2)
    b, a = _one_pole(OVERDRIVE_EMPHASIS_HZ, "highpass")
    emphasised = signal.lfilter(b, a, x, axis=1) * overdrive_gain(knobs[:, 0])[:, None]
    b, a = _one_pole(OVERDRIVE_OPAMP_LOWPASS_HZ, "lowpass")
    emphasised = signal.lfilter(b, a, emphasised, axis=1)
    y = x + asymmetric_soft_clip(emphasised)
    b, a = _one_pole(OVERDRIVE_COUPLING_HZ, "highpass")
    y = signal.lfilter(b, a, y, axis=1)
    out = np.empty_like(y)
    for row, tone in enumerate(knobs[:, 1]):
        b, a = _one_pole(overdrive_tone_hz(tone), "lowpass")
        out[row] = signal.lfilter(b, a, y[row])
    return (OVERDRIVE_LEVEL * out).astype(np.float32)


# --- (c) Feed-forward compressor ------------------------------------------------------------
# A standard log-domain design (Giannoulis, Massberg & Reiss, "Digital dynamic range
# compressor design - a tutorial and analysis", JAES 2012): soft-knee static curve, then a
# smooth branching peak detector on the gain reduction with separate attack and release.
COMPRESSOR_RATIO = 4.0
COMPRESSOR_KNEE_DB = 6.0
COMPRESSOR_ATTACK_S = 0.003
COMPRESSOR_RELEASE_S = 0.040
COMPRESSOR_THRESHOLD_MAX_DB = -10.0   # amount 0: only peaks above -10 dBV are touched
COMPRESSOR_THRESHOLD_MIN_DB = -40.0   # amount 1: nearly everything is squashed


def compressor_threshold_db(amount):
    amount = np.asarray(amount, dtype=np.float64)
    return COMPRESSOR_THRESHOLD_MAX_DB + (COMPRESSOR_THRESHOLD_MIN_DB - COMPRESSOR_THRESHOLD_MAX_DB) * amount


def compressor_static_gain_db(level_db: np.ndarray, threshold_db) -> np.ndarray:
    """Gain (<= 0 dB) the compressor settles to for a steady input at `level_db`."""
    over = level_db - threshold_db
    slope = 1.0 / COMPRESSOR_RATIO - 1.0
    half_knee = COMPRESSOR_KNEE_DB / 2
    knee = slope * (over + half_knee) ** 2 / (2 * COMPRESSOR_KNEE_DB)
    return np.where(over <= -half_knee, 0.0, np.where(over >= half_knee, slope * over, knee))


def render_compressor(x: np.ndarray, knobs: np.ndarray) -> np.ndarray:
    x, knobs = _as_rows(x, knobs, 1)
    threshold = compressor_threshold_db(knobs[:, 0])
    level_db = 20.0 * np.log10(np.abs(x) + 1e-6)
    wanted = compressor_static_gain_db(level_db, threshold[:, None])
    attack = np.exp(-1.0 / (COMPRESSOR_ATTACK_S * SAMPLE_RATE))
    release = np.exp(-1.0 / (COMPRESSOR_RELEASE_S * SAMPLE_RATE))
    gain_db = np.empty_like(x)
    state = np.zeros(x.shape[0])
    for n in range(x.shape[1]):
        target = wanted[:, n]
        coefficient = np.where(target < state, attack, release)
        state = coefficient * state + (1.0 - coefficient) * target
        gain_db[:, n] = state
    return (x * 10.0 ** (gain_db / 20.0)).astype(np.float32)


TARGETS: Dict[str, Target] = {
    "diode_clipper": Target(
        "diode_clipper",
        "RC low-pass into antiparallel silicon diodes (Yeh 2009), drive 0 to +24 dB",
        ["drive"], [0.5], render_diode_clipper, skip=True),
    "overdrive": Target(
        "overdrive",
        "Asymmetric Tube-Screamer-style overdrive: mid boost, 1-vs-2 diode soft clip, tone low-pass",
        ["drive", "tone"], [0.5, 0.5], render_overdrive, skip=False),
    "compressor": Target(
        "compressor",
        "Feed-forward soft-knee 4:1 compressor, 3 ms attack, 40 ms release, amount = threshold",
        # No skip: at heavy settings the output is ~20 dB below the input, and a network
        # adding the input back would have to cancel it to a fraction of a percent.
        ["amount"], [0.5], render_compressor, skip=False),
}


def get(name: str) -> Target:
    if name not in TARGETS:
        raise KeyError(f"unknown target '{name}'; choose one of {sorted(TARGETS)}")
    return TARGETS[name]
