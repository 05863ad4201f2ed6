"""torchamp-render plays other projects' model files as their own formats define them.

Each model is rendered by torchamp-render (the same loader and engine as the plugin) and compared
with reference.py's independent forward pass (float64) within 1e-4; the real files in
shared/models-ext are also compared with the reference outputs their projects ship. Broken files
must fail with a message that starts with the file name.

Environment: TORCHAMP_RENDER (the binary), TORCHAMP_MODELS_EXT (optional: the real files).
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch
from scipy.io import wavfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))
import make_test_models  # noqa: E402
import reference  # noqa: E402

RENDER = os.environ.get("TORCHAMP_RENDER", "")
MODELS_EXT = Path(os.environ.get("TORCHAMP_MODELS_EXT", "/nonexistent"))
TOLERANCE = 1e-4
torch.set_num_threads(1)


def test_signal(n, rate=48000, seed=3):
    """Decaying plucks, a sweep, noise, silence and a loud square: every regime of an amp model."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    phase = np.arange(n) / n
    x = np.where(phase < 0.3, 0.8 * np.exp(-t * 10) * np.sin(2 * np.pi * 110 * t),
        np.where(phase < 0.5, 0.5 * np.sin(2 * np.pi * (80 + 3000 * (phase - 0.3)) * t),
        np.where(phase < 0.65, 0.3 * rng.standard_normal(n),
        np.where(phase < 0.75, 0.0, 0.95 * np.sign(np.sin(2 * np.pi * 330 * t))))))
    return x.astype(np.float32)


def render(model, x, rate=48000, knobs=()):
    """Plays x through torchamp-render; returns (output or None, exit code, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        wavfile.write(src, rate, np.asarray(x, dtype=np.float32))
        cmd = [RENDER, "--model", str(model), "--in", str(src), "--out", str(dst)]
        for k in knobs:
            cmd += ["--knob", k]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            return None, run.returncode, run.stderr
        return wavfile.read(dst)[1].astype(np.float64), 0, run.stderr


def max_error(a, b):
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


@unittest.skipUnless(RENDER, "TORCHAMP_RENDER is not set")
class RealFiles(unittest.TestCase):
    """The files of shared/models-ext: independent reference, and the projects' own references."""

    def setUp(self):
        if not MODELS_EXT.is_dir():
            self.skipTest(f"{MODELS_EXT} does not exist")

    def check_reference(self, name, rate=48000):
        path = MODELS_EXT / name
        x = test_signal(24000, rate)
        y, code, err = render(path, x, rate)
        self.assertEqual(code, 0, err)
        self.assertTrue(np.all(np.isfinite(y)))
        error = max_error(y, reference.forward(path, x))
        print(f"\n{name}: max |torchamp - independent reference| = {error:.3g}", file=sys.stderr)
        self.assertLess(error, TOLERANCE)
        return path

    def check_csv(self, name, tolerance):
        path = self.check_reference(name + ".json")
        x = np.loadtxt(MODELS_EXT / (name + "_x.csv"))
        expected = np.loadtxt(MODELS_EXT / (name + "_y.csv"))
        y, code, err = render(path, x)
        self.assertEqual(code, 0, err)
        error = max_error(y, expected)
        print(f"{name}: max |torchamp - {name}_y.csv| = {error:.3g}", file=sys.stderr)
        self.assertLess(error, tolerance)

    def test_nam_lstm(self):
        self.check_reference("nam/lstm.nam")

    def test_aidax_matches_its_embedded_batch(self):
        path = self.check_reference("aidax/tw40_california_clean_deerinkstudios.json")
        model = json.loads(path.read_text())
        y, code, err = render(path, model["input_batch"])
        self.assertEqual(code, 0, err)
        error = max_error(y, model["output_batch"])
        print(f"aidax: max |torchamp - output_batch| = {error:.3g}", file=sys.stderr)
        self.assertLess(error, 2e-6)  # AIDA-X's float32 render (measured: 6.9e-7)

    # Keras and PyTorch computed these in float32 in their own operation order: 2e-6 is float32
    # agreement (measured: 2.4e-7 at most).
    def test_rtneural_lstm_1d(self):
        self.check_csv("rtneural/lstm_1d", 2e-6)

    def test_rtneural_gru_1d(self):
        self.check_csv("rtneural/gru_1d", 2e-6)

    def test_rtneural_lstm_torch(self):
        self.check_csv("rtneural/lstm_torch", 2e-6)

    def test_rtneural_gru_torch(self):
        self.check_csv("rtneural/gru_torch", 2e-6)

    # A dense layer first, then dilated and grouped convolutions, batch normalisation and PReLU:
    # RTNeural's own test of this file allows 1e-6.
    def test_rtneural_conv(self):
        path = self.check_reference("rtneural/conv.json")
        x = np.loadtxt(MODELS_EXT / "rtneural/conv_x_python.csv")
        expected = np.loadtxt(MODELS_EXT / "rtneural/conv_y_python.csv")
        y, code, err = render(path, x)
        self.assertEqual(code, 0, err)
        error = max_error(y, expected)
        print(f"rtneural/conv: max |torchamp - conv_y_python.csv| = {error:.3g}", file=sys.stderr)
        self.assertLess(error, 1e-6)

    def test_malformed_aidax_file_names_the_file_and_the_place(self):
        y, code, err = render(MODELS_EXT / "aidax/deerinkstudios-tw40-ac-clean.malformed.json", test_signal(100))
        self.assertEqual(code, 3)
        self.assertIn("torchamp-render: deerinkstudios-tw40-ac-clean.malformed.json: the file is not valid JSON", err)
        self.assertIn("line 784", err)


def random_rnn(cls, inputs, hidden, layers, seed):
    torch.manual_seed(seed)
    rnn = cls(inputs, hidden, num_layers=layers, batch_first=True)
    lin = torch.nn.Linear(hidden, 1)
    return rnn, lin


def tensors(module, prefix):
    return OrderedDictOf((f"{prefix}.{k}", v.detach().numpy().tolist()) for k, v in module.state_dict().items())


def OrderedDictOf(items):
    from collections import OrderedDict
    return OrderedDict(items)


@unittest.skipUnless(RENDER, "TORCHAMP_RENDER is not set")
class SyntheticFiles(unittest.TestCase):
    """Small files made here with torch.nn modules, so the reference is PyTorch itself."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, content):
        path = self.dir / name
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        return path

    def test_keras_sequence_with_a_dense_layer_first_matches_keras_equations(self):
        # Dense, dilated grouped Conv1D, BatchNormalization, PReLU, GRU, Dense: the layer engine
        # against reference.py's Keras equations in float64.
        path = self.dir / "keras_conv_gru.json"
        make_test_models.write_keras_sequence(path)
        x = test_signal(24000)
        y, code, err = render(path, x)
        self.assertEqual(code, 0, err)
        error = max_error(y, reference.forward(path, x))
        print(f"\nkeras_conv_gru.json: max |torchamp - independent reference| = {error:.3g}", file=sys.stderr)
        self.assertLess(error, TOLERANCE)

    def test_gru_state_dict_matches_torch_gru(self):
        rnn, lin = random_rnn(torch.nn.GRU, 1, 24, 2, seed=5)
        path = self.write("gru.json", {**tensors(rnn, "gru"), **tensors(lin, "dense")})
        x = test_signal(12000)
        y, code, err = render(path, x)
        self.assertEqual(code, 0, err)
        with torch.no_grad():
            expected = lin(rnn(torch.tensor(x).reshape(1, -1, 1).double().float())[0])[0, :, 0].double().numpy()
        # torch in float32 against the engine in float32, and against the float64 reference.
        self.assertLess(max_error(y, expected), TOLERANCE)
        self.assertLess(max_error(y, reference.forward(path, x)), TOLERANCE)

    def test_guitarml_gru_with_skip_and_a_knob(self):
        rnn, lin = random_rnn(torch.nn.GRU, 2, 16, 1, seed=6)
        model = {"model_data": {"model": "SimpleRNN", "input_size": 2, "skip": 1, "output_size": 1,
                                "unit_type": "GRU", "num_layers": 1, "hidden_size": 16, "bias_fl": True},
                 "state_dict": {**tensors(rnn, "rec"), **tensors(lin, "lin")}}
        path = self.write("guitarml_gru.json", model)
        x = test_signal(8820, 44100)
        y, code, err = render(path, x, 44100, knobs=["Param 1=0.25"])
        self.assertEqual(code, 0, err)
        self.assertIn("44100 Hz", err)  # the documented default, said out loud
        expected = reference.state_dict_forward(model, x, knobs=(0.25,))
        self.assertLess(max_error(y, expected), TOLERANCE)

    def test_guitarml_lstm(self):
        rnn, lin = random_rnn(torch.nn.LSTM, 1, 20, 1, seed=7)
        model = {"model_data": {"model": "SimpleRNN", "input_size": 1, "skip": 0, "output_size": 1,
                                "unit_type": "LSTM", "num_layers": 1, "hidden_size": 20, "bias_fl": True,
                                "samplerate": 48000},
                 "state_dict": {**tensors(rnn, "rec"), **tensors(lin, "lin")}}
        path = self.write("guitarml_lstm.json", model)
        x = test_signal(9600)
        y, code, err = render(path, x)
        self.assertEqual(code, 0, err)
        self.assertLess(max_error(y, reference.forward(path, x)), TOLERANCE)

    def test_nam_two_layers_with_learned_initial_state(self):
        rng = np.random.default_rng(8)
        H, L = 6, 2
        weights = []
        for layer in range(L):
            n_in = 1 if layer == 0 else H
            weights += list(rng.uniform(-0.6, 0.6, 4 * H * (n_in + H)))
            weights += list(rng.uniform(-0.3, 0.3, 4 * H))
            weights += list(rng.uniform(-0.5, 0.5, 2 * H))  # initial h, c
        weights += list(rng.uniform(-0.5, 0.5, H + 1))
        model = {"version": "0.5.4", "architecture": "LSTM",
                 "config": {"num_layers": L, "input_size": 1, "hidden_size": H},
                 "weights": weights, "sample_rate": 48000, "metadata": {"loudness": -20.0}}
        path = self.write("two.nam", model)
        x = test_signal(9600)
        y, code, err = render(path, x)
        self.assertEqual(code, 0, err)
        self.assertLess(max_error(y, reference.forward(path, x)), TOLERANCE)
        # The learned state matters: from zeros the first samples differ.
        self.assertGreater(abs(y[0] - reference.forward(self.write(
            "zero.nam", {**model, "weights": zero_initial_state(weights, H, L)}), x[:1])[0]), 1e-4)

    def test_keras_gru_with_aidax_gains_and_skip(self):
        rng = np.random.default_rng(9)
        H = 10
        model = {"in_shape": [None, None, 1], "in_skip": 1, "in_gain": -6.0, "out_gain": 3.0,
                 "layers": [
                     {"type": "gru", "activation": "tanh", "shape": [None, None, H],
                      "weights": [rng.uniform(-1, 1, (1, 3 * H)).tolist(),
                                  rng.uniform(-0.4, 0.4, (H, 3 * H)).tolist(),
                                  rng.uniform(-0.3, 0.3, (2, 3 * H)).tolist()]},
                     {"type": "dense", "activation": "tanh", "shape": [None, None, 4],
                      "weights": [rng.uniform(-1, 1, (H, 4)).tolist(), rng.uniform(-0.2, 0.2, 4).tolist()]},
                     {"type": "dense", "activation": "", "shape": [None, None, 1],
                      "weights": [rng.uniform(-1, 1, (4, 1)).tolist(), [0.05]]}],
                 "metadata": {"samplerate": "48000", "author": "test"}}
        path = self.write("aidax_gru.json", model)
        x = test_signal(9600)
        y, code, err = render(path, x)
        self.assertEqual(code, 0, err)
        self.assertLess(max_error(y, reference.forward(path, x)), TOLERANCE)

    def test_broken_files_name_the_file_and_the_fault(self):
        good_nam = {"version": "0.5.4", "architecture": "LSTM",
                    "config": {"num_layers": 1, "input_size": 1, "hidden_size": 2},
                    "weights": [0.1] * (4 * 2 * 3 + 8 + 4 + 3), "sample_rate": 48000}
        lstm_layer = {"type": "lstm", "activation": "", "shape": [None, None, 2],
                      "weights": [[[0.1] * 8], [[0.1] * 8] * 2, [0.0] * 8]}
        dense = {"type": "dense", "activation": "", "shape": [None, None, 1], "weights": [[[0.5], [0.5]], [0.0]]}
        cases = {
            "wavenet.nam": ({**good_nam, "architecture": "WaveNet"}, "\"config\" has no \"layers\""),
            "convnet.nam": ({**good_nam, "architecture": "ConvNet"}, "not supported yet: architecture ConvNet"),
            "short.nam": ({**good_nam, "weights": [0.1] * 10}, "\"weights\" has 10 numbers"),
            "nan.nam": ('{"architecture": "LSTM", "weights": [NaN]}', "not valid JSON"),
            "truncated.json": ('{"in_shape": [null, null, 1], "layers": [', "not valid JSON"),
            "conv.json": ({"in_shape": [None, None, 1], "layers": [{"type": "conv1d", "weights": []}]},
                          "layer 0 has no \"kernel_size\""),
            "conv2d.json": ({"in_shape": [None, None, 1], "layers": [{"type": "conv2d", "weights": []}]},
                            "layer 0 has type \"conv2d\": not supported"),
            "badshape.json": ({"in_shape": [None, None, 1],
                               "layers": [{**lstm_layer, "weights": [[[0.1] * 7], [[0.1] * 8] * 2, [0.0] * 8]},
                                          dense]}, "layer 0 kernel has shape [1, 7]"),
            "twoout.json": ({"in_shape": [None, None, 1], "layers": [lstm_layer]}, "ends in 2 outputs"),
            "unknown.json": ({"hello": 1}, "no model format TorchAmp knows"),
            "guitarml.json": ({"model_data": {"unit_type": "LSTM", "input_size": 1}, "state_dict": {}},
                              "state_dict should be a non-empty JSON object"),
            "ragged.json": ({"rnn.weight_ih_l0": [[0.1]] * 4, "rnn.weight_hh_l0": [[0.1], [0.2, 0.3]],
                             "lin.weight": [[1.0]]}, "rows of different lengths"),
        }
        for name, (content, message) in cases.items():
            with self.subTest(name):
                path = self.write(name, content)
                y, code, err = render(path, test_signal(100))
                self.assertEqual(code, 3, err)
                self.assertIn(f"torchamp-render: {name}: ", err)
                self.assertIn(message, err)


def zero_initial_state(weights, H, L):
    w = list(weights)
    pos = 0
    for layer in range(L):
        n_in = 1 if layer == 0 else H
        pos += 4 * H * (n_in + H) + 4 * H
        w[pos:pos + 2 * H] = [0.0] * (2 * H)
        pos += 2 * H
    return w


if __name__ == "__main__":
    unittest.main()
