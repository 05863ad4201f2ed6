"""Models/fast_lstm.py (training's LSTM kernel) computes what nn.LSTM computes: outputs, final
state and every gradient, for one and two layers, with knobs and skip, from non-zero states."""

import sys
import unittest
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Models"))
import fast_lstm  # noqa: E402
import train  # noqa: E402
from torchamp import TorchAmpLSTM  # noqa: E402

torch.set_num_threads(1)


def model(hidden, layers, knobs, skip, seed):
    torch.manual_seed(seed)
    m = TorchAmpLSTM(hidden=hidden, layers=layers, knobs=knobs, skip=skip)
    with torch.no_grad():
        m.lstm.weight_ih_l0[:, 0] *= 30  # as train.py starts it: gates that saturate
    return m


class MatchesNnLstm(unittest.TestCase):
    def compare(self, hidden, layers, knobs, skip, batch=5, time=300, seed=1):
        m = model(hidden, layers, knobs, skip, seed)
        generator = torch.Generator().manual_seed(seed)
        x = torch.randn(batch, time, 1 + len(knobs), generator=generator) * 0.3
        h = torch.randn(layers, batch, hidden, generator=generator) * 0.5
        c = torch.randn(layers, batch, hidden, generator=generator) * 2.0
        weights = torch.randn(batch, time, 1, generator=generator)
        results = []
        for forward in (lambda module, *a: module(*a), fast_lstm.forward):
            m.zero_grad()
            x_in = x.clone().requires_grad_(True)
            y, h_out, c_out = forward(m, x_in, h, c)
            # Every output counts: y through a weighting, the final state directly.
            ((y * weights).sum() + 0.3 * h_out.sum() - 0.2 * c_out.sum()).backward()
            results.append((y.detach(), h_out.detach(), c_out.detach(), x_in.grad.clone(),
                            {n: p.grad.clone() for n, p in m.named_parameters()}))
        (y1, h1, c1, dx1, g1), (y2, h2, c2, dx2, g2) = results
        self.assertLess((y1 - y2).abs().max().item(), 1e-5)
        self.assertLess((h1 - h2).abs().max().item(), 1e-5)
        self.assertLess((c1 - c2).abs().max().item(), 1e-5)
        self.assertLess(((dx1 - dx2).abs().max() / dx1.abs().max()).item(), 1e-4)
        for name in g1:
            scale = g1[name].abs().max().item()
            self.assertGreater(scale, 0.0, name)
            self.assertLess((g1[name] - g2[name]).abs().max().item() / scale, 1e-4, name)

    def test_one_layer_with_knobs(self):
        self.compare(hidden=12, layers=1, knobs=["drive", "tone"], skip=False)

    def test_two_layers_with_skip(self):
        self.compare(hidden=8, layers=2, knobs=["amount"], skip=True)

    def test_no_knobs_odd_sizes(self):
        self.compare(hidden=7, layers=1, knobs=[], skip=False, batch=3, time=17)

    def test_under_no_grad_matches(self):
        m = model(16, 1, ["drive"], False, 2)
        x = torch.randn(4, 1000, 2) * 0.3
        h, c = m.initial_state(4)
        with torch.no_grad():
            y1, _, _ = m(x, h, c)
            y2, _, _ = fast_lstm.forward(m, x, h, c)
        self.assertIsNone(y2.grad_fn)
        self.assertLess((y1 - y2).abs().max().item(), 1e-5)


class TrainingWithEitherKernel(unittest.TestCase):
    def test_same_steps_give_the_same_model(self):
        """A few training steps through each kernel end at the same weights (float rounding apart)."""
        import tempfile
        states = {}
        with tempfile.TemporaryDirectory() as folder:
            for kernel in train.KERNELS:
                out = Path(folder) / f"{kernel}.pt"
                result = train.train("compressor", hidden=6, layers=1, out=out, report=Path(folder) / kernel,
                                     steps=20, seed=4, batch=2, validate_every=10,
                                     train_seconds=2 * train.SEGMENT / train.signals.SAMPLE_RATE,
                                     validation_seconds=train.VALIDATION_ROW_SECONDS, test_seconds=0.1,
                                     other_seconds=0.1, quiet=True, kernel=kernel)
                self.assertEqual(result["kernel"], kernel)
                states[kernel] = torch.jit.load(str(out)).state_dict()
        for name, value in states["torch"].items():
            difference = (value - states["fast"][name]).abs().max().item()
            self.assertLess(difference, 1e-3 * max(1.0, value.abs().max().item()), name)

    def test_falls_back_to_nn_lstm_when_the_kernel_cannot_be_built(self):
        import contextlib
        import io
        import tempfile
        from unittest import mock

        def unavailable():
            raise fast_lstm.Unavailable("no g++ here")

        messages = io.StringIO()
        with tempfile.TemporaryDirectory() as folder, mock.patch.object(fast_lstm, "library", unavailable), \
                contextlib.redirect_stderr(messages):
            result = train.train("overdrive", hidden=4, layers=1, out=Path(folder) / "m.pt",
                                 report=Path(folder) / "m", steps=4, seed=2, batch=2, validate_every=4,
                                 train_seconds=2 * train.SEGMENT / train.signals.SAMPLE_RATE,
                                 validation_seconds=train.VALIDATION_ROW_SECONDS, test_seconds=0.1,
                                 other_seconds=0.1, quiet=True)
        self.assertEqual(result["kernel"], "torch")
        self.assertIn("no g++ here", messages.getvalue())


if __name__ == "__main__":
    unittest.main()
