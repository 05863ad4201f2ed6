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
                validation_seconds=train.VALIDATION_ROW_SECONDS, test_seconds=0.5, quiet=True)

            self.assertLess(result["training_loss_last_steps"], 0.8 * result["training_loss_first_steps"])
            info = check(folder / "smoke.pt")
            self.assertEqual((info.architecture, info.knobs), ("LSTM 1x8", ["drive", "tone"]))
            self.assertTrue(info.native_engine)
            for name in ("report.json", "report.md", "loss.png", "comparison.png"):
                self.assertTrue((folder / "smoke" / name).stat().st_size > 0, name)
            report = json.loads((folder / "smoke" / "report.json").read_text())
            self.assertEqual(len(report["test_settings"]), 9)
            self.assertLessEqual(report["test_esr_mean"], report["test_esr_worst"])

    def test_same_seed_gives_the_same_model(self):
        def run(folder, name):
            train.train("overdrive", hidden=4, layers=1, out=folder / f"{name}.pt",
                        report=folder / name, steps=8, seed=5, batch=2, validate_every=8,
                        train_seconds=2 * train.SEGMENT / train.signals.SAMPLE_RATE,
                        validation_seconds=train.VALIDATION_ROW_SECONDS, test_seconds=0.1, quiet=True)
            return torch.jit.load(str(folder / f"{name}.pt")).state_dict()

        with tempfile.TemporaryDirectory() as folder:
            first, second = run(Path(folder), "a"), run(Path(folder), "b")
        self.assertEqual(first.keys(), second.keys())
        for key in first:
            self.assertTrue(torch.equal(first[key], second[key]), key)


if __name__ == "__main__":
    unittest.main()
