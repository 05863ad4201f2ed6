"""The synthesised guitar-like signals are reproducible, varied and at guitar levels."""

import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Models"))
import signals  # noqa: E402
import testsignal  # noqa: E402

FS = signals.SAMPLE_RATE


class Signals(unittest.TestCase):
    def test_same_seed_same_signal_and_independent_splits(self):
        a = signals.splits(4, 6.0, 2.0, 2.0)
        b = signals.splits(4, 6.0, 2.0, 2.0)
        for name in ("train", "validation", "test"):
            np.testing.assert_array_equal(a[name], b[name])
        self.assertEqual(len(a["train"]), 6 * FS)
        self.assertFalse(np.array_equal(a["validation"], a["test"]))
        self.assertFalse(np.array_equal(signals.guitar_like(2.0, 1), signals.guitar_like(2.0, 2)))

    def test_levels_span_quiet_to_hot_with_silence_between(self):
        x = signals.guitar_like(60.0, 11)
        blocks = np.sqrt(np.mean(x[:len(x) // 4800 * 4800].reshape(-1, 4800) ** 2, axis=1))
        loud_db = 20 * np.log10(blocks[blocks > 1e-4])
        self.assertLess(np.max(np.abs(x)), 10 ** ((-3 + 12) / 20))
        self.assertGreater(np.max(loud_db) - np.min(loud_db), 30)
        self.assertGreater(np.mean(blocks < 1e-4), 0.02)

    def test_pluck_has_the_pitch_asked_for(self):
        # The pick position can make a harmonic louder than the fundamental, so the pitch is
        # read from the period (the autocorrelation's peak), not from the loudest partial.
        y = signals.pluck(110.0, 1.0, np.random.default_rng(0), decay=3.0)
        lags = np.arange(FS // 1000, FS // 50)
        correlation = [np.dot(y[:-lag], y[lag:]) for lag in lags]
        period = lags[int(np.argmax(correlation))]
        self.assertAlmostEqual(FS / period, 110.0, delta=110.0 * 0.01)
        self.assertAlmostEqual(np.max(np.abs(y)), 1.0)

    def test_demo_riff_is_six_seconds_below_full_scale(self):
        riff = signals.riff()
        self.assertEqual(len(riff), 6 * FS)
        self.assertAlmostEqual(np.max(np.abs(riff)), 0.4)
        np.testing.assert_array_equal(riff, signals.riff())


class OtherGenerator(unittest.TestCase):
    def test_is_reproducible_peaks_at_one_volt_and_spans_the_levels(self):
        x = testsignal.material(8.0, seed=3)
        np.testing.assert_array_equal(x, testsignal.material(8.0, seed=3))
        self.assertAlmostEqual(np.max(np.abs(x)), 1.0, delta=1e-3)
        blocks = np.max(np.abs(x[:len(x) // 4800 * 4800].reshape(-1, 4800)), axis=1)
        self.assertGreater(np.max(blocks) / np.median(blocks), 3.0)

    def test_modal_note_has_the_pitch_asked_for(self):
        y = testsignal.string_note(110.0, 1.0, np.random.default_rng(0), FS)
        lags = np.arange(FS // 1000, FS // 50)
        period = lags[int(np.argmax([np.dot(y[:-lag], y[lag:]) for lag in lags]))]
        self.assertAlmostEqual(FS / period, 110.0, delta=110.0 * 0.02)


if __name__ == "__main__":
    unittest.main()
