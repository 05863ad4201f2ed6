"""The simulated effects behave like the circuits they stand for."""

import sys
import unittest
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Models"))
import targets  # noqa: E402

FS = targets.SAMPLE_RATE


def clipper(x, drive):
    # Short chunks solve a short signal in fewer sequential steps; the result is the same
    # (test_chunked_solve_equals_one_long_solve).
    return targets.render_diode_clipper(x, drive, chunk=1024)


def sine(frequency, amplitude, seconds=0.1):
    t = np.arange(int(seconds * FS)) / FS
    return amplitude * np.sin(2 * np.pi * frequency * t)


def steady_gain(y, x):
    """Peak ratio over the second half, after the start-up transient."""
    half = len(x) // 2
    return np.max(np.abs(y[half:])) / np.max(np.abs(x[half:]))


def harmonic_db(y, frequency, harmonic):
    """Level of a harmonic relative to the fundamental, from an exact-bin DFT."""
    y = y[len(y) // 2:]
    t = np.arange(len(y)) / FS
    def level(f):
        return np.abs(np.sum(y * np.exp(-2j * np.pi * f * t)))
    return 20 * np.log10(level(harmonic * frequency) / level(frequency))


class DiodeClipper(unittest.TestCase):
    def test_small_signal_below_the_corner_passes_at_unity_gain(self):
        x = sine(100, 1e-3)
        self.assertAlmostEqual(steady_gain(clipper(x, [0.0])[0], x), 1.0, delta=0.005)

    def test_drive_is_a_clean_gain_for_small_signals(self):
        x = sine(200, 1e-4)
        gain = steady_gain(clipper(x, [1.0])[0], x)
        self.assertAlmostEqual(20 * np.log10(gain), targets.CLIPPER_MAX_DRIVE_DB, delta=0.1)

    def test_rc_corner_is_minus_3_db(self):
        corner = 1 / (2 * np.pi * targets.CLIPPER_R * targets.CLIPPER_C)
        x = sine(corner, 1e-3)
        gain = steady_gain(clipper(x, [0.0])[0], x)
        self.assertAlmostEqual(20 * np.log10(gain), -3.0, delta=0.3)

    def test_clipping_level_stays_near_the_diode_forward_voltage(self):
        for amplitude in (2.0, 20.0):
            y = clipper(sine(100, amplitude), [1.0])[0]
            with self.subTest(amplitude=amplitude):
                self.assertGreater(np.max(np.abs(y)), 0.5)
                self.assertLess(np.max(np.abs(y)), 0.9)

    def test_symmetric_diodes_make_odd_harmonics_only(self):
        x = sine(250, 1.0, 0.2)
        y = clipper(x, [0.5])[0]
        np.testing.assert_allclose(clipper(-x, [0.5])[0], -y, atol=1e-6)
        self.assertGreater(harmonic_db(y, 250, 3), -20)
        self.assertLess(harmonic_db(y, 250, 2), -80)

    def test_ode_solution_has_converged_in_the_time_step(self):
        x = sine(1000, 2.0, 0.02)[None, :]
        from scipy import signal
        fine = signal.resample_poly(targets.diode_clipper_ode(signal.resample_poly(x, 16, 1, axis=1), 16 * FS), 1, 16, axis=1)
        coarse = signal.resample_poly(targets.diode_clipper_ode(signal.resample_poly(x, 4, 1, axis=1), 4 * FS), 1, 4, axis=1)
        error = np.sum((fine - coarse) ** 2) / np.sum(fine ** 2)
        self.assertLess(error, 1e-3)

    def test_chunked_solve_equals_one_long_solve(self):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((2, 3000)) * 0.3
        a = targets.render_diode_clipper(x, [[0.2], [0.9]], chunk=512)
        b = targets.render_diode_clipper(x, [[0.2], [0.9]], chunk=3000)
        np.testing.assert_allclose(a, b, atol=1e-6)


class Overdrive(unittest.TestCase):
    def test_emphasis_boosts_mids_over_bass(self):
        # 1 + Zf/Zg of the op-amp stage: ~ 1 + 51k/4.7k in the mids, near 1 in the bass.
        bass, mids = sine(60, 1e-4, 0.5), sine(2000, 1e-4, 0.3)
        hump = 20 * np.log10(steady_gain(targets.render_overdrive(mids, [0.0, 1.0])[0], mids)
                             / steady_gain(targets.render_overdrive(bass, [0.0, 1.0])[0], bass))
        self.assertGreater(hump, 15)
        self.assertLess(hump, 20 * np.log10(1 + targets.OVERDRIVE_MIN_GAIN))

    def test_asymmetric_clipping_makes_even_harmonics(self):
        x = sine(500, 0.02, 0.2)
        self.assertGreater(harmonic_db(targets.render_overdrive(x, [0.5, 1.0])[0], 500, 2), -40)
        self.assertLess(harmonic_db(clipper(x * 30, [0.5])[0], 500, 2), -80)

    def test_asymmetric_soft_clip_levels(self):
        u = np.array([-100.0, -1e-6, 0.0, 1e-6, 100.0])
        np.testing.assert_allclose(targets.asymmetric_soft_clip(u),
                                   [-targets.OVERDRIVE_CLIP_NEGATIVE, -1e-6, 0.0, 1e-6,
                                    targets.OVERDRIVE_CLIP_POSITIVE], rtol=1e-6)

    def test_more_drive_means_more_distortion(self):
        x = sine(300, 0.02, 0.2)
        low = harmonic_db(targets.render_overdrive(x, [0.0, 1.0])[0], 300, 3)
        high = harmonic_db(targets.render_overdrive(x, [1.0, 1.0])[0], 300, 3)
        self.assertGreater(high, low + 6)

    def test_tone_opens_the_treble(self):
        x = sine(5000, 1e-3)
        dark = steady_gain(targets.render_overdrive(x, [0.5, 0.0])[0], x)
        bright = steady_gain(targets.render_overdrive(x, [0.5, 1.0])[0], x)
        self.assertGreater(20 * np.log10(bright / dark), 10)


class Compressor(unittest.TestCase):
    def level_db(self, y):
        return 20 * np.log10(np.max(np.abs(y[len(y) // 2:])))

    def test_below_threshold_it_is_a_wire(self):
        x = sine(1000, 10 ** (-30 / 20), 0.3)
        np.testing.assert_allclose(targets.render_compressor(x, [0.0])[0], x, atol=1e-6)

    def test_above_threshold_gain_reduction_follows_the_ratio(self):
        # A square wave has a constant level, so the detector settles with no ripple and the
        # output must sit exactly on the static curve: threshold + excess / ratio.
        threshold = float(targets.compressor_threshold_db(0.5))
        for over in (12.0, 24.0):
            x = np.sign(sine(1000, 1.0, 0.5)) * 10 ** ((threshold + over) / 20)
            with self.subTest(over=over):
                self.assertAlmostEqual(self.level_db(targets.render_compressor(x, [0.5])[0]),
                                       threshold + over / targets.COMPRESSOR_RATIO, delta=0.05)

    def test_attack_is_faster_than_release(self):
        loud, quiet = 10 ** (-5 / 20), 10 ** (-40 / 20)
        x = np.concatenate([sine(1000, quiet, 0.1), sine(1000, loud, 0.3), sine(1000, quiet, 0.3)])
        y = targets.render_compressor(x, [1.0])[0]
        gain = np.abs(y) / np.maximum(np.abs(x), 1e-9)
        onset, offset = int(0.1 * FS), int(0.4 * FS)
        settled = np.median(gain[onset + int(0.2 * FS):offset][np.abs(x[onset + int(0.2 * FS):offset]) > 0.5 * loud])
        after_attack = gain[onset + int(0.02 * FS):onset + int(0.03 * FS)]
        after_release = gain[offset + int(0.02 * FS):offset + int(0.03 * FS)]
        self.assertLess(np.max(after_attack[np.abs(x[onset + int(0.02 * FS):onset + int(0.03 * FS)]) > 0.5 * loud]), 1.5 * settled)
        self.assertLess(np.max(after_release), 0.9)


class Targets(unittest.TestCase):
    def test_every_target_is_deterministic_float32_and_refuses_bad_knobs(self):
        x = np.random.default_rng(1).standard_normal(2000) * 0.1
        for target in targets.TARGETS.values():
            knobs = [0.3] * len(target.knobs)
            with self.subTest(target.name):
                y = target.render(x, knobs)
                self.assertEqual(y.dtype, np.float32)
                self.assertEqual(y.shape, (1, 2000))
                np.testing.assert_array_equal(y, target.render(x, knobs))
                with self.assertRaises(ValueError):
                    target.render(x, [1.5] * len(target.knobs))


if __name__ == "__main__":
    unittest.main()
