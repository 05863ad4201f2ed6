"""Resources/DefaultCabinet.wav is what Resources/make_default_cabinet.py makes: the built-in cabinet
is reproducible from its documented recipe, and shaped as the recipe says."""

import importlib.util
import unittest
from pathlib import Path

import numpy as np
from scipy.io import wavfile

RESOURCES = Path(__file__).resolve().parents[2] / "Resources"


def load_script():
    spec = importlib.util.spec_from_file_location("make_default_cabinet", RESOURCES / "make_default_cabinet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DefaultCabinet(unittest.TestCase):
    def test_the_committed_file_is_what_the_script_makes(self):
        rate, committed = wavfile.read(RESOURCES / "DefaultCabinet.wav")
        self.assertEqual(rate, 48000)
        self.assertEqual(committed.dtype, np.float32)
        np.testing.assert_array_equal(committed, load_script().make())

    def test_it_rolls_off_above_five_kilohertz_and_below_seventy_hertz(self):
        _, h = wavfile.read(RESOURCES / "DefaultCabinet.wav")
        spectrum = np.abs(np.fft.rfft(h.astype(np.float64), 1 << 16))
        freqs = np.fft.rfftfreq(1 << 16, 1 / 48000)

        def level(hz):
            return 20 * np.log10(spectrum[np.argmin(np.abs(freqs - hz))])

        self.assertGreater(level(2500) - level(8000), 20.0)
        self.assertGreater(level(2500) - level(12000), 40.0)
        self.assertGreater(level(110) - level(40), 12.0)
        self.assertLess(abs(level(1000) - level(300)), 6.0)


if __name__ == "__main__":
    unittest.main()
