"""Models/capture.py: the capture signal is fixed, recordings are lined up and checked, and a
short capture of sox's effects trains, loads and plays in torchamp-render with its knob names."""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
from scipy.io import wavfile

MODELS = Path(__file__).resolve().parents[2] / "Models"
sys.path.insert(0, str(MODELS))
import capture  # noqa: E402
import capture_signal  # noqa: E402
import recording  # noqa: E402

RATE = 48000
SOX = shutil.which("sox")
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def short_signal(seconds=8.0, seed=0):
    """Guitar-like material between the capture signal's markers: a quick stand-in for a DI."""
    rng = np.random.default_rng(seed)
    material = capture_signal._playing(seconds, rng)
    return capture_signal.with_markers(material, RATE)


def write(path, audio, rate=RATE):
    wavfile.write(path, rate, np.asarray(audio, dtype=np.float32))
    return str(path)


def audio(path, samples, rate=RATE):
    return recording.Audio(path=Path(path), rate=rate, samples=np.asarray(samples, dtype=np.float64))


def stretched(x, ppm):
    """x played back by a clock `ppm` parts per million fast, by linear interpolation."""
    positions = np.arange(len(x)) * (1.0 + ppm * 1e-6)
    return np.interp(positions, np.arange(len(x)), x, right=0.0)


def one_pole_lowpass(x, coefficient=0.6):
    from scipy.signal import lfilter
    return lfilter([1 - coefficient], [1, -coefficient], x)


class CaptureSignal(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.signal = capture_signal.generate(RATE)

    def test_is_the_same_on_every_call_and_pinned_to_version_1(self):
        np.testing.assert_array_equal(self.signal, capture_signal.generate(RATE))
        self.assertEqual(capture_signal.VERSION, 1)
        where = capture_signal.layout(RATE)
        self.assertEqual(len(self.signal), where.length)
        # Block levels of version 1 (dB RMS): a change here changes what users have recorded.
        pinned = {"sweeps": -8.782, "noise": -22.088, "transients": -37.522, "guitar": -30.553,
                  "validation": -26.889, "holdout": -29.070}
        for name, level in pinned.items():
            first, last = where.blocks[name]
            measured = 10 * np.log10(np.mean(self.signal[first:last] ** 2))
            self.assertAlmostEqual(measured, level, delta=0.01, msg=name)

    def test_has_clicks_in_silence_at_both_ends_and_peaks_below_full_scale(self):
        where = capture_signal.layout(RATE)
        self.assertTrue(recording.has_markers(self.signal, RATE))
        for p in where.start_markers + where.end_markers:
            self.assertEqual(self.signal[p], capture_signal.MARKER_LEVEL)
        self.assertEqual(np.count_nonzero(self.signal[:where.blocks["sweeps"][0]]), 2)
        self.assertLessEqual(np.max(np.abs(self.signal)), capture_signal.PEAK)
        self.assertGreater(np.max(np.abs(self.signal)), 0.9)
        # Material spans the dynamic range: 100 ms blocks from below -50 dB to above -3 dB peak.
        first, last = where.span(*capture_signal.TRAINING_BLOCKS)
        peaks = np.max(np.abs(self.signal[first:last - (last - first) % 4800].reshape(-1, 4800)), axis=1)
        self.assertLess(np.percentile(peaks[peaks > 0], 5), 10 ** (-50 / 20))
        self.assertGreater(np.percentile(peaks, 95), 10 ** (-8 / 20))

    def test_signal_command_writes_each_rate(self):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "capture.wav"
            with contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(capture.main(["signal", str(out), "--rate", "44100"]), 0)
            rate, data = wavfile.read(out)
        self.assertEqual((rate, len(data)), (44100, capture_signal.layout(44100).length))
        self.assertTrue(recording.has_markers(data.astype(np.float64), 44100))


class Alignment(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.played = short_signal()

    def align(self, recorded):
        return recording.align(audio("in.wav", self.played), audio("out.wav", recorded))

    def test_latency_is_found_to_the_sample_through_a_filter_and_noise(self):
        rng = np.random.default_rng(1)
        for delay in (0, 1, 37, 480, 12000):
            wet = 0.5 * np.tanh(3 * one_pole_lowpass(self.played))
            wet = np.concatenate([np.zeros(delay), wet])[:len(self.played)] + 1e-4 * rng.standard_normal(len(self.played))
            result = self.align(wet)
            self.assertEqual(result.latency, delay)
            self.assertEqual(result.method, "markers")
            self.assertLess(abs(result.drift_samples), 0.05)

    def test_drift_under_one_sample_is_measured_and_above_is_refused(self):
        span = np.diff([capture_signal.marker_positions(len(self.played), RATE)[i][0] for i in (0, 1)])[0]
        small = 0.5e6 / span              # half a sample over the file
        result = self.align(np.concatenate([np.zeros(20), stretched(self.played, -small)])[:len(self.played)])
        self.assertEqual(result.latency, 20)
        self.assertAlmostEqual(result.drift_samples, 0.5, delta=0.15)
        self.assertAlmostEqual(result.drift_ppm, small, delta=0.3 * small)
        for ppm in (200.0, -200.0):
            with self.assertRaises(recording.RecordingError) as refused:
                self.align(stretched(self.played, -ppm))
            figure = re.search(r"clock drift of ([+-][0-9.]+) ppm", str(refused.exception))
            self.assertIsNotNone(figure, str(refused.exception))
            self.assertAlmostEqual(float(figure.group(1)), ppm, delta=0.05 * abs(ppm))

    def test_a_di_without_markers_is_aligned_by_cross_correlation_with_a_note(self):
        played = capture_signal._playing(6.0, np.random.default_rng(3))
        wet = np.concatenate([np.zeros(64), np.tanh(4 * played)])[:len(played)]
        result = recording.align(audio("di.wav", played), audio("out.wav", wet))
        self.assertEqual((result.latency, result.method), (64, "cross-correlation"))
        self.assertIn("not the capture signal", result.notes[0])


class Refusals(unittest.TestCase):
    """Each refusal: exit status 1, one line on stderr naming the file, and no model written."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        folder = Path(cls.folder.name)
        played = short_signal()
        wet = 0.4 * np.tanh(3 * played)
        cls.played = write(folder / "in.wav", played)
        cls.wet = write(folder / "wet.wav", wet)
        cls.cases = {
            "rate": (write(folder / "rate.wav", wet, 44100), "44100 Hz"),
            "clipped": (write(folder / "clipped.wav", np.clip(4 * wet, -1, 1)), "clipped at full scale"),
            "silent": (write(folder / "silent.wav", np.zeros_like(wet)), "silent"),
            "quiet": (write(folder / "quiet.wav", wet * 10 ** (-45 / 20)), "dB quieter"),
            "unrelated": (write(folder / "unrelated.wav", 0.1 * np.random.default_rng(5).standard_normal(len(wet))),
                          "no alignment markers"),
            "long": (write(folder / "long.wav", np.concatenate([wet, np.zeros(RATE)])), "longer than"),
            "drift": (write(folder / "drift.wav", stretched(wet, -300.0)), "clock drift"),
        }

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def refused(self, *pairs, expect):
        out = Path(self.folder.name) / "model.pt"
        argv = ["train", "--out", str(out), "--minutes", "0.2", "--quiet"]
        for pair in pairs:
            argv += ["--pair", *pair]
        errors = io.StringIO()
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            status = capture.main(argv)
        lines = [line for line in errors.getvalue().splitlines() if line.startswith("capture:")]
        self.assertEqual(status, 1, errors.getvalue())
        self.assertEqual(len(lines), 1, errors.getvalue())
        self.assertIn(expect, lines[0])
        self.assertFalse(out.exists())
        self.assertFalse(out.with_suffix("").exists())
        return lines[0]

    def test_each_bad_recording_is_refused_with_one_line(self):
        for name, (path, expect) in self.cases.items():
            with self.subTest(name):
                line = self.refused((self.played, path), expect=expect)
                self.assertIn(Path(path).name, line)

    def test_bad_knobs_are_refused(self):
        self.refused((self.played, self.wet, "gain=1.5"), expect="outside [0, 1]")
        self.refused((self.played, self.wet, "gain"), expect="not KNOB=VALUE")
        self.refused((self.played, self.wet, "gain=0.2"), (self.played, self.wet, "drive=0.8"),
                     expect="every pair must set the same knobs")

    def test_the_command_line_exits_non_zero(self):
        out = Path(self.folder.name) / "cli.pt"
        run = subprocess.run([PYTHON, str(MODELS / "capture.py"), "train", "--pair", self.played,
                              self.cases["silent"][0], "--out", str(out)], capture_output=True, text=True)
        self.assertEqual(run.returncode, 1)
        self.assertEqual(len(run.stderr.strip().splitlines()), 1, run.stderr)
        self.assertFalse(out.exists())

    def test_a_stereo_recording_uses_its_first_channel_with_a_note(self):
        played = recording.read_wav(self.played)
        stereo_path = Path(self.folder.name) / "stereo.wav"
        wet = recording.read_wav(self.wet).samples
        write(stereo_path, np.stack([wet, np.zeros_like(wet)], axis=1))
        first = recording.read_wav(stereo_path)
        self.assertIn("channel 1", first.notes[0])
        np.testing.assert_allclose(first.samples, wet, atol=1e-7)
        self.assertEqual(np.max(np.abs(recording.read_wav(stereo_path, channel=2).samples)), 0.0)
        self.assertEqual(recording.align(played, first).latency, 0)


@unittest.skipUnless(SOX, "sox is not installed (scripts/install-deps.sh installs it)")
class CaptureOfSoxEffects(unittest.TestCase):
    def sox(self, source, out, *effects):
        subprocess.run([SOX, source, out, *effects], check=True, capture_output=True)
        return out

    def test_short_capture_of_an_overdrive_learns_it(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            played = str(folder / "capture.wav")
            with contextlib.redirect_stdout(io.StringIO()):
                capture.main(["signal", played])
            wet = self.sox(played, str(folder / "pedal.wav"), "overdrive", "10", "gain", "-6", "delay", "23s")
            run = subprocess.run([PYTHON, str(MODELS / "capture.py"), "train", "--pair", played, wet,
                                  "--out", str(folder / "pedal.pt"), "--steps", "1000", "--minutes", "5", "--quiet",
                                  "--size", "lite"],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            result = json.loads(run.stdout.strip().splitlines()[-1])
            self.assertEqual(result["latency_samples"], [23])
            self.assertLess(abs(result["drift_ppm"][0]), 0.1)
            # 1,000 steps of a 1x16 (2.3 % here): loose, but far below an untrained model's ~100 %.
            self.assertLess(result["esr_holdout_mean"], 0.10)
            self.assertLess(result["minutes"], 5.0)
            self.assertEqual(json.loads((folder / "pedal" / "report.json").read_text())["steps"], 1000)
            for name in ("report.json", "report.md", "loss.png", "comparison.png"):
                self.assertGreater((folder / "pedal" / name).stat().st_size, 0, name)

    @unittest.skipUnless(os.environ.get("TORCHAMP_RENDER"), "TORCHAMP_RENDER (set by ctest) names torchamp-render")
    def test_knob_conditioned_capture_plays_in_torchamp_render_with_its_knobs(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            played = write(folder / "di.wav", short_signal(40.0, seed=2))
            low = self.sox(played, str(folder / "low.wav"), "overdrive", "5", "gain", "-6")
            high = self.sox(played, str(folder / "high.wav"), "overdrive", "20", "gain", "-6")
            model = folder / "drive.pt"
            errors = io.StringIO()
            with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
                status = capture.main(["train", "--pair", played, low, "drive=0.2", "--pair", played, high,
                                       "drive=0.8", "--out", str(model), "--steps", "150", "--minutes", "5",
                                       "--size", "lite",
                                       "--name", "Sox Drive", "--quiet"])
            self.assertEqual(status, 0, errors.getvalue())
            rendered = folder / "rendered.wav"
            run = subprocess.run([os.environ["TORCHAMP_RENDER"], "--model", str(model), "--in", played,
                                  "--out", str(rendered), "--knob", "drive=0.5"], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            played_as = json.loads(run.stdout.strip().splitlines()[-1])
            self.assertEqual((played_as["knobs"], played_as["model_name"]), ({"drive": 0.5}, "Sox Drive"))
            rate, data = wavfile.read(rendered)
            self.assertEqual((rate, len(data)), (RATE, len(recording.read_wav(played).samples)))
            self.assertGreater(np.max(np.abs(data)), 0.01)
            report = json.loads((folder / "drive" / "report.json").read_text())
            self.assertEqual((report["knobs"], report["knob_defaults"], report["name"]), (["drive"], [0.5], "Sox Drive"))


if __name__ == "__main__":
    unittest.main()
