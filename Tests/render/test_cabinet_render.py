"""torchamp-render --ir against SciPy: the model's output convolved with the impulse response.

The rule the reference follows is the one README.md states: leading samples more than 60 dB below
the response's peak are dropped, the response is resampled to the audio's rate, and scaled by
10^(-18/20) * 48000 / rate (Neural Amp Modeler's level). At the audio's own rate the render must
match scipy.signal.fftconvolve within 1e-4; a response at 44.1 or 96 kHz, which SciPy resamples
with resample_poly (TorchAmp with its own polyphase filter), within -60 dB of relative error.

Environment: TORCHAMP_RENDER (the torchamp-render binary), TORCHAMP_TEST_MODELS_DIR.
"""

import json
import math
import os
import subprocess
import tempfile
import unittest
from fractions import Fraction
from pathlib import Path

import numpy as np
from scipy.io import wavfile
from scipy.signal import butter, fftconvolve, resample_poly, sosfilt

RENDER = os.environ.get("TORCHAMP_RENDER", "build/bin/torchamp-render")
MODELS = Path(os.environ.get("TORCHAMP_TEST_MODELS_DIR", "build/test-models"))
MODEL = MODELS / "lstm2x24_knobs_skip.pt"
RATE = 48000


def guitar_like(seconds, rate, seed):
    """Decaying plucked tones and a little noise, stereo, below full scale."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    x = np.zeros((len(t), 2))
    for start, f in [(0.0, 82.4), (0.5, 110.0), (1.0, 146.8), (1.5, 196.0)]:
        env = np.where(t >= start, np.exp(-(t - start) * 5.0), 0.0)
        for ch, detune in enumerate((1.0, 1.003)):
            x[:, ch] += 0.3 * env * (np.sin(2 * np.pi * f * detune * t) + 0.4 * np.sin(4 * np.pi * f * detune * t))
    x += 0.01 * rng.standard_normal(x.shape)
    return x.astype(np.float32)


def cabinet_like(rate, channels, seed, seconds=0.05, silence=20):
    """Low-passed decaying noise after `silence` zero samples, as cabinet responses look."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    sos = butter(4, 6000.0, fs=rate, output="sos")
    ir = np.zeros((silence + n, channels))
    for ch in range(channels):
        noise = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.008 * rate))
        ir[silence:, ch] = sosfilt(sos, noise)
    return (0.9 * ir / np.max(np.abs(ir))).astype(np.float32)


def prepared(ir, ir_rate, rate):
    """The taps TorchAmp convolves with, by README.md's rule, resampled by SciPy."""
    peak = np.max(np.abs(ir))
    first = int(np.argmax(np.max(np.abs(ir), axis=1) >= peak * 10 ** (-60 / 20)))
    taps = ir[first:].astype(np.float64)
    if ir_rate != rate:
        ratio = Fraction(rate, ir_rate)
        taps = resample_poly(taps, ratio.numerator, ratio.denominator, axis=0)
    return taps * 10 ** (-18 / 20) * 48000 / rate


def render(*args):
    result = subprocess.run([RENDER, *args], capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"torchamp-render {' '.join(args)} failed: {result.stderr}")
    return json.loads(result.stdout)


class CabinetRender(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.path = Path(cls.dir.name)
        wavfile.write(cls.path / "in.wav", RATE, guitar_like(2.0, RATE, 1))
        render("--model", str(MODEL), "--in", str(cls.path / "in.wav"), "--out", str(cls.path / "model.wav"))
        _, cls.model_out = wavfile.read(cls.path / "model.wav")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def render_with(self, ir, ir_rate, name):
        wavfile.write(self.path / name, ir_rate, ir)
        out = self.path / ("out-" + name)
        figures = render("--model", str(MODEL), "--in", str(self.path / "in.wav"), "--out", str(out),
                         "--ir", str(self.path / name), "--block", "100")
        self.assertEqual(figures["impulse_response"]["name"], name)
        self.assertEqual(figures["latency_samples"], 0)
        _, y = wavfile.read(out)
        taps = prepared(ir, ir_rate, RATE)
        reference = np.stack([fftconvolve(self.model_out[:, ch].astype(np.float64), taps[:, ch % taps.shape[1]])
                              [: len(y)] for ch in range(2)], axis=1)
        return y.astype(np.float64), reference

    def test_a_mono_response_at_the_files_rate_matches_fftconvolve_within_1e_4(self):
        y, reference = self.render_with(cabinet_like(RATE, 1, 2), RATE, "mono.wav")
        print(f"mono, {RATE} Hz: max |difference| {np.max(np.abs(y - reference)):.3g}")
        self.assertLess(np.max(np.abs(y - reference)), 1e-4)

    def test_a_stereo_response_at_the_files_rate_convolves_left_and_right(self):
        ir = cabinet_like(RATE, 2, 3)
        y, reference = self.render_with(ir, RATE, "stereo.wav")
        print(f"stereo, {RATE} Hz: max |difference| {np.max(np.abs(y - reference)):.3g}")
        self.assertLess(np.max(np.abs(y - reference)), 1e-4)
        swapped = np.stack([fftconvolve(self.model_out[:, ch].astype(np.float64), prepared(ir, RATE, RATE)[:, 1 - ch])
                            [: len(y)] for ch in range(2)], axis=1)
        self.assertGreater(np.max(np.abs(y - swapped)), 1e-2, "left and right are not interchangeable")

    def test_responses_at_44_1_and_96_khz_match_resample_poly_within_minus_60_db(self):
        for ir_rate in (44100, 96000):
            for channels in (1, 2):
                with self.subTest(rate=ir_rate, channels=channels):
                    y, reference = self.render_with(cabinet_like(ir_rate, channels, 4 + channels), ir_rate,
                                                    f"cab{ir_rate}-{channels}.wav")
                    error = 10 * math.log10(np.sum((y - reference) ** 2) / np.sum(reference ** 2))
                    print(f"{channels} channel(s), {ir_rate} Hz: relative error {error:.1f} dB")
                    self.assertLess(error, -60.0)


if __name__ == "__main__":
    unittest.main()
