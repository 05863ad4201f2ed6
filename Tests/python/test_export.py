"""torchamp.export writes files that reload with the contract's names, types and numbers."""

import sys
import tempfile
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Models"))
from torchamp import TorchAmpLSTM, export  # noqa: E402

torch.set_num_threads(1)


def reference(lstm, linear, x, h, c, skip=False):
    out, (h2, c2) = lstm(x, (h, c))
    y = linear(out)
    return (y + x[:, :, 0:1] if skip else y), h2, c2


class ExportRoundTrip(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.dir = Path(self.folder.name)
        torch.manual_seed(0)

    def tearDown(self):
        self.folder.cleanup()

    def probe(self, inputs, layers, hidden, batch=2, time=300):
        x = torch.rand(batch, time, inputs) * 2 - 1
        h = torch.randn(layers, batch, hidden) * 0.2
        c = torch.randn(layers, batch, hidden) * 0.2
        return x, h, c

    def test_attributes_keep_their_names_types_and_values(self):
        model = TorchAmpLSTM(hidden=12, layers=2, knobs=["drive", "tone"], knob_defaults=[0.25, 1.0],
                             skip=True, sample_rate=44100, name="Test Amp", description="a test",
                             author="someone")
        loaded = torch.jit.load(str(export(model, self.dir / "amp.pt")))
        self.assertEqual(loaded.sample_rate, 44100)
        self.assertIs(loaded.skip, True)
        self.assertEqual(loaded.knobs, ["drive", "tone"])
        self.assertEqual(loaded.knob_defaults, [0.25, 1.0])
        self.assertEqual((loaded.name, loaded.description, loaded.author), ("Test Amp", "a test", "someone"))
        self.assertEqual(loaded.contract_version, 1)
        self.assertEqual(loaded.lstm.weight_ih_l0.shape, (48, 3))
        self.assertEqual(loaded.head.weight.shape, (1, 12))

    def test_defaults_without_knobs_and_name_from_file_stem(self):
        loaded = torch.jit.load(str(export(TorchAmpLSTM(hidden=4), self.dir / "My Pedal.pt")))
        self.assertEqual(loaded.knobs, [])
        self.assertEqual(loaded.knob_defaults, [])
        self.assertEqual(loaded.name, "My Pedal")
        self.assertEqual((loaded.sample_rate, loaded.skip, loaded.description, loaded.author),
                         (48000, False, "", ""))

    def test_reloaded_forward_matches_eager_within_1e_6(self):
        model = TorchAmpLSTM(hidden=16, layers=3, knobs=["gain"], skip=True).eval()
        loaded = torch.jit.load(str(export(model, self.dir / "m.pt")))
        x, h, c = self.probe(2, 3, 16)
        with torch.no_grad():
            for e, g in zip(model(x, h, c), loaded(x, h, c)):
                self.assertLessEqual((e - g).abs().max().item(), 1e-6)

    def test_skip_adds_the_audio_channel_only(self):
        model = TorchAmpLSTM(hidden=8, knobs=["a"], skip=True).eval()
        x, h, c = self.probe(2, 1, 8)
        with torch.no_grad():
            expected = reference(model.lstm, model.head, x, h, c, skip=True)[0]
            self.assertLessEqual((model(x, h, c)[0] - expected).abs().max().item(), 1e-7)

    def test_users_lstm_and_linear_pair_is_copied_exactly(self):
        # A user's layers need not be batch_first; the weights are the same either way.
        lstm = torch.nn.LSTM(2, 10, 2)
        linear = torch.nn.Linear(10, 1)
        loaded = torch.jit.load(str(export((lstm, linear), self.dir / "user.pt", knobs=["drive"],
                                           sample_rate=44100)))
        x, h, c = self.probe(2, 2, 10)
        with torch.no_grad():
            out, (h2, c2) = lstm(x.transpose(0, 1), (h, c))
            expected = linear(out).transpose(0, 1)
            y, h_new, c_new = loaded(x, h, c)
        self.assertLessEqual((y - expected).abs().max().item(), 1e-6)
        self.assertLessEqual((h_new - h2).abs().max().item(), 1e-6)
        self.assertEqual(loaded.knob_defaults, [0.5])

    def test_users_module_holding_one_lstm_and_one_linear(self):
        class UserModel(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = torch.nn.LSTM(1, 6, batch_first=True, bias=False)
                self.out = torch.nn.Linear(6, 1)

        user = UserModel()
        loaded = torch.jit.load(str(export(user, self.dir / "u.pt", description="from a user")))
        x, h, c = self.probe(1, 1, 6)
        with torch.no_grad():
            expected = reference(user.rnn, user.out, x, h, c)[0]
            self.assertLessEqual((loaded(x, h, c)[0] - expected).abs().max().item(), 1e-6)
        self.assertEqual(loaded.description, "from a user")

    def test_metadata_overrides_on_a_torchamp_model(self):
        model = TorchAmpLSTM(hidden=4, knobs=["a"], name="old")
        loaded = torch.jit.load(str(export(model, self.dir / "x.pt", name="new", knobs=["b"])))
        self.assertEqual((loaded.name, loaded.knobs, loaded.knob_defaults), ("new", ["b"], [0.5]))
        self.assertEqual(model.name, "old")

    def test_refuses_what_the_plugin_cannot_play(self):
        cases = {
            "knob channels without names": lambda: export((torch.nn.LSTM(3, 4), torch.nn.Linear(4, 1)), self.dir / "a.pt"),
            "wrong number of knob names": lambda: export((torch.nn.LSTM(2, 4), torch.nn.Linear(4, 1)), self.dir / "a.pt", knobs=["a", "b"]),
            "head with 2 outputs": lambda: export((torch.nn.LSTM(1, 4), torch.nn.Linear(4, 2)), self.dir / "a.pt"),
            "head size mismatch": lambda: export((torch.nn.LSTM(1, 4), torch.nn.Linear(5, 1)), self.dir / "a.pt"),
            "bidirectional": lambda: export((torch.nn.LSTM(1, 4, bidirectional=True), torch.nn.Linear(8, 1)), self.dir / "a.pt"),
            "projection": lambda: export((torch.nn.LSTM(1, 4, proj_size=2), torch.nn.Linear(2, 1)), self.dir / "a.pt"),
            "5 layers": lambda: export((torch.nn.LSTM(1, 4, 5), torch.nn.Linear(4, 1)), self.dir / "a.pt"),
            "knob default out of range": lambda: export(TorchAmpLSTM(4, knobs=["a"], knob_defaults=[2.0]), self.dir / "a.pt"),
            "unknown metadata": lambda: export(TorchAmpLSTM(4), self.dir / "a.pt", colour="red"),
            "two LSTMs": lambda: export(torch.nn.Sequential(torch.nn.LSTM(1, 4), torch.nn.LSTM(4, 4), torch.nn.Linear(4, 1)), self.dir / "a.pt"),
        }
        for label, attempt in cases.items():
            with self.subTest(label), self.assertRaises((ValueError, TypeError)):
                attempt()
        self.assertFalse((self.dir / "a.pt").exists())

    def test_refuses_non_finite_weights(self):
        model = TorchAmpLSTM(hidden=4)
        with torch.no_grad():
            model.lstm.weight_hh_l0[0, 0] = float("nan")
        with self.assertRaisesRegex(ValueError, "NaN"):
            export(model, self.dir / "nan.pt")


if __name__ == "__main__":
    unittest.main()
