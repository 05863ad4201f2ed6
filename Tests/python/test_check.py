"""torchamp.check says what the plugin's own loader (torchamp-inspect) makes of a file."""

import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path
from typing import List, Tuple

import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Models"))
from torchamp import ModelFileError, TorchAmpLSTM, check, export  # noqa: E402
from torchamp.check import main as check_main  # noqa: E402

torch.set_num_threads(1)


class Bare(nn.Module):
    """LSTM + head with no metadata at all, as a user's own scripted model might be."""

    def __init__(self, inputs=1, hidden=8, gain=1.0):
        super().__init__()
        self.lstm = nn.LSTM(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.gain = gain

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        out, (h, c) = self.lstm(x, (h, c))
        return self.head(out) * self.gain, h, c


class MisnamedKnobs(Bare):
    knobs: List[str]

    def __init__(self):
        super().__init__(inputs=2)
        self.knobs = ["drive", "tone"]


class NoLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, 8, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        out, h = self.rnn(x, h)
        return self.head(out), h, c


class NoHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 8, batch_first=True)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        out, (h, c) = self.lstm(x, (h, c))
        return out[:, :, 0:1], h, c


class Check(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.dir = Path(self.folder.name)
        torch.manual_seed(0)

    def tearDown(self):
        self.folder.cleanup()

    def save(self, module, name):
        path = self.dir / name
        torch.jit.save(torch.jit.script(module), str(path))
        return path

    def assertRefused(self, path, pattern):
        with self.assertRaisesRegex(ModelFileError, pattern):
            check(path)

    def test_reports_what_the_plugin_sees(self):
        model = TorchAmpLSTM(hidden=40, knobs=["drive"], knob_defaults=[0.3], skip=True,
                             name="Clipper", description="diodes")
        info = check(export(model, self.dir / "clipper.pt"))
        self.assertEqual(info.architecture, "LSTM 1x40, 1 knob, skip, 48 kHz")
        self.assertEqual((info.layers, info.hidden), (1, 40))
        self.assertEqual((info.input_size, info.knobs, info.knob_defaults), (2, ["drive"], [0.3]))
        self.assertEqual((info.sample_rate, info.skip, info.name, info.description), (48000, True, "Clipper", "diodes"))
        self.assertEqual(info.parameter_count, 4 * 40 * (2 + 40 + 2) + 41)
        self.assertTrue(info.native_engine)
        self.assertEqual(info.warnings, [])
        self.assertIn("LSTM 1x40", info.summary())

    def test_missing_attributes_get_defaults_and_warnings(self):
        info = check(self.save(Bare(inputs=3), "bare.pt"))
        self.assertEqual((info.sample_rate, info.skip, info.name), (48000, False, "bare"))
        self.assertEqual(info.knobs, ["Knob 1", "Knob 2"])
        self.assertEqual(info.knob_defaults, [0.5, 0.5])
        self.assertTrue(any("'sample_rate'" in w and "48000" in w for w in info.warnings), info.warnings)
        self.assertTrue(any("'knobs'" in w for w in info.warnings), info.warnings)
        self.assertTrue(any("'skip'" in w for w in info.warnings), info.warnings)

    def test_forward_that_is_not_lstm_plus_head_runs_on_libtorch(self):
        info = check(self.save(Bare(gain=2.0), "doubled.pt"))
        self.assertFalse(info.native_engine)
        self.assertIn("LibTorch plays it", info.engine_reason)

    def test_not_torchscript(self):
        path = self.dir / "notes.pt"
        path.write_bytes(b"this is a text file\n" * 10)
        self.assertRefused(path, "not a TorchScript file")

    def test_missing_file(self):
        self.assertRefused(self.dir / "absent.pt", "absent.pt: cannot open the file")

    def test_truncated(self):
        good = export(TorchAmpLSTM(hidden=8), self.dir / "good.pt").read_bytes()
        path = self.dir / "cut.pt"
        path.write_bytes(good[:len(good) // 2])
        self.assertRefused(path, "not a TorchScript file|damaged")

    def test_state_dict_checkpoint(self):
        path = self.dir / "weights.pt"
        torch.save(TorchAmpLSTM(hidden=8).state_dict(), path)
        self.assertRefused(path, r"torch\.save")

    def test_no_lstm(self):
        self.assertRefused(self.save(NoLstm(), "gru.pt"), "GRU")

    def test_no_head(self):
        self.assertRefused(self.save(NoHead(), "headless.pt"), r"Linear\(hidden, 1\) output head")

    def test_knob_names_disagree_with_lstm_inputs(self):
        self.assertRefused(self.save(MisnamedKnobs(), "knobs.pt"), "names 2 knobs")

    def test_non_finite_weights(self):
        scripted = torch.jit.script(TorchAmpLSTM(hidden=8))
        with torch.no_grad():
            scripted.head.weight[0, 3] = float("inf")
        path = self.dir / "inf.pt"
        torch.jit.save(scripted, str(path))
        self.assertRefused(path, "NaN or Inf")

    def test_command_line_exit_status(self):
        good = export(TorchAmpLSTM(hidden=8), self.dir / "good.pt")
        bad = self.dir / "bad.pt"
        bad.write_bytes(b"\0" * 100)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.assertEqual(check_main([str(good)]), 0)
            self.assertEqual(check_main([str(good), str(bad)]), 1)
        self.assertIn("LSTM 1x8", out.getvalue())
        self.assertIn("bad.pt", err.getvalue())
        self.assertIn("error:", err.getvalue())


if __name__ == "__main__":
    unittest.main()
