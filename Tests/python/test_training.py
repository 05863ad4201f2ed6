"""A few steps of Models/train.py lower the loss and produce a checked model and a report."""

import json
import sys
import tempfile
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Models"))
import train  # noqa: E402
from torchamp import check  # noqa: E402

torch.set_num_threads(1)


class SmokeTraining(unittest.TestCase):
    def test_few_steps_lower_the_loss_and_write_model_and_report(self):
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            rows = 4
            result = train.train(
                "overdrive", hidden=8, layers=1, out=folder / "smoke.pt", report=folder / "smoke",
                steps=3 * train.CHUNKS_PER_SEGMENT, seed=3, batch=rows, learning_rate=1e-2,
                validate_every=train.CHUNKS_PER_SEGMENT,
                train_seconds=rows * train.SEGMENT / train.signals.SAMPLE_RATE,
                validation_seconds=train.VALIDATION_ROW_SECONDS, test_seconds=0.5, other_seconds=0.2,
                quiet=True)

            self.assertLess(result["training_loss_last_steps"], 0.8 * result["training_loss_first_steps"])
            info = check(folder / "smoke.pt")
            self.assertEqual((info.architecture, info.knobs), ("LSTM 1x8, 2 knobs, 48 kHz", ["drive", "tone"]))
            self.assertTrue(info.native_engine)
            for name in ("report.json", "report.md", "loss.png", "comparison.png"):
                self.assertTrue((folder / "smoke" / name).stat().st_size > 0, name)
            report = json.loads((folder / "smoke" / "report.json").read_text())
            self.assertEqual(len(report["test_settings"]), 9)
            # The other generator is scored at 0, 0.5 and 1 of each knob.
            self.assertEqual(len(report["other_settings"]), 9)
            self.assertLessEqual(report["other_esr_mean"], report["other_esr_worst"])
            self.assertLessEqual(report["test_esr_mean"], report["test_esr_worst"])

    def test_same_seed_gives_the_same_model(self):
        def run(folder, name):
            train.train("overdrive", hidden=4, layers=1, out=folder / f"{name}.pt",
                        report=folder / name, steps=8, seed=5, batch=2, validate_every=8,
                        train_seconds=2 * train.SEGMENT / train.signals.SAMPLE_RATE,
                        validation_seconds=train.VALIDATION_ROW_SECONDS, test_seconds=0.1, other_seconds=0.1,
                        quiet=True)
            return torch.jit.load(str(folder / f"{name}.pt")).state_dict()

        with tempfile.TemporaryDirectory() as folder:
            first, second = run(Path(folder), "a"), run(Path(folder), "b")
        self.assertEqual(first.keys(), second.keys())
        for key in first:
            self.assertTrue(torch.equal(first[key], second[key]), key)


class KnobSampling(unittest.TestCase):
    def test_settings_stay_in_range_and_arcsine_favours_the_ends(self):
        import numpy as np
        uniform = train.draw_knobs(np.random.default_rng(3), 20000, 2, "uniform")
        arcsine = train.draw_knobs(np.random.default_rng(3), 20000, 2, "arcsine")
        for draw in (uniform, arcsine):
            self.assertEqual(draw.shape, (20000, 2))
            self.assertTrue(((draw >= 0) & (draw <= 1)).all())

        def near_ends(d):
            return float(((d < 0.1) | (d > 0.9)).mean())
        # Beta(1/2, 1/2) puts 2 asin(sqrt(0.1)) * 2 / pi = 41 % within 0.1 of an end; uniform 20 %.
        self.assertAlmostEqual(near_ends(uniform), 0.2, delta=0.02)
        self.assertAlmostEqual(near_ends(arcsine), 0.41, delta=0.02)
        with self.assertRaises(ValueError):
            train.draw_knobs(np.random.default_rng(3), 10, 1, "gaussian")


if __name__ == "__main__":
    unittest.main()
