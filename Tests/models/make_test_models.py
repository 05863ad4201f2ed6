"""Writes the TorchScript files the C++ tests load: contract models of several shapes, models
without metadata, and broken files; and a small Neural Amp Modeler WaveNet (.nam) for the
real-time tests. Deterministic (fixed seeds).

usage: /usr/bin/python3 make_test_models.py OUT_DIR

The contract models are defined here with plain torch, independent of Models/torchamp, the way a
user's own training code would write them."""
import io
import json
import os
import sys
import zipfile
from typing import List, Tuple

import torch
from torch import Tensor, nn

torch.set_num_threads(1)


class ContractLstm(nn.Module):
    sample_rate: int
    skip: bool
    knobs: List[str]
    knob_defaults: List[float]
    name: str
    description: str
    author: str
    contract_version: int

    def __init__(self, hidden, layers=1, knobs=(), skip=False, sample_rate=48000, name="test"):
        super().__init__()
        self.lstm = nn.LSTM(1 + len(knobs), hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.sample_rate = sample_rate
        self.skip = skip
        self.knobs = list(knobs)
        self.knob_defaults = [0.5] * len(knobs)
        self.name = name
        self.description = "test model"
        self.author = "TorchAmp tests"
        self.contract_version = 1

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h, c))
        y = self.head(y)
        if self.skip:
            y = y + x[:, :, 0:1]
        return y, h, c


class BareLstm(nn.Module):
    """A user's own model: other submodule names, no metadata attributes at all."""

    def __init__(self, inputs, hidden, layers, skip):
        super().__init__()
        self.rnn = nn.LSTM(inputs, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, 1)
        self.use_skip = skip

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.rnn(x, (h, c))
        y = self.fc(y)
        if self.use_skip:
            y = y + x[:, :, 0:1]
        return y, h, c


class AlwaysSkip(nn.Module):
    """A user's model whose forward always adds the input (x[..., :1]), with no 'skip' attribute."""

    sample_rate: int
    knobs: List[str]

    def __init__(self, hidden, knobs=()):
        super().__init__()
        self.recurrent = nn.LSTM(1 + len(knobs), hidden, 1, batch_first=True)
        self.out = nn.Linear(hidden, 1)
        self.sample_rate = 44100
        self.knobs = list(knobs)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.recurrent(x, (h, c))
        return self.out(y) + x[..., :1], h, c


class NoSkipNestedState(nn.Module):
    """No skip at all, and the state returned as nn.LSTM returns it: (y, (h, c))."""

    def __init__(self, hidden, layers):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        y, state = self.lstm(x, (h, c))
        return self.head(y), state


class SkipNestedState(ContractLstm):
    """torchamp.export's forward, returning (y, (h, c))."""

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:  # type: ignore[override]
        y, (h, c) = self.lstm(x, (h, c))
        y = self.head(y)
        if self.skip:
            y = y + x[:, :, 0:1]
        return y, (h, c)


class NoBias(nn.Module):
    """An LSTM and a head without biases."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 10, 2, batch_first=True, bias=False)
        self.head = nn.Linear(10, 1, bias=False)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h, c))
        return self.head(y), h, c


class GainAfterHead(ContractLstm):
    """The contract's modules, but forward() scales the output: only LibTorch plays it faithfully."""

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h, c))
        return 0.5 * self.head(y), h, c


class SkipDisagrees(ContractLstm):
    """Its 'skip' attribute says False, but forward() always adds the input."""

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h, c))
        return self.head(y) + x[:, :, 0:1], h, c


class Wrapped(nn.Module):
    """A contract model inside another module: the LSTM is not a child of the top module."""

    def __init__(self):
        super().__init__()
        self.body = ContractLstm(8)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        return self.body(x, h, c)


class GruContract(nn.Module):
    """The contract's signature around a GRU."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 8, 1, batch_first=True)
        self.head = nn.Linear(8, 1)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, h = self.gru(x, h)
        return self.head(y), h, c


class DropoutWhenTraining(ContractLstm):
    """Dropout in training only; saved in training mode, played in eval mode."""

    def __init__(self):
        super().__init__(8, skip=True)
        self.drop = nn.Dropout(0.5)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h, c))
        if self.training:
            y = self.drop(y)
        y = self.head(y)
        if self.skip:
            y = y + x[:, :, 0:1]
        return y, h, c


class IntegerKnobDefaults(ContractLstm):
    knob_defaults: List[int]  # type: ignore[assignment]

    def __init__(self):
        super().__init__(8, knobs=("low", "high"))
        self.knob_defaults = [0, 1]  # type: ignore[list-item]


class NameOfWrongType(ContractLstm):
    name: int  # type: ignore[assignment]

    def __init__(self):
        super().__init__(8)
        self.name = 3  # type: ignore[assignment]


class NoLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(1, 1)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        return self.head(x), h, c


class NoHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 8, 1, batch_first=True)

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        y, (h, c) = self.lstm(x, (h, c))
        return y.mean(dim=2, keepdim=True), h, c


class WrongType(ContractLstm):
    sample_rate: str  # type: ignore[assignment]

    def __init__(self):
        super().__init__(8)
        self.sample_rate = "48000"  # type: ignore[assignment]


class UsesPrint(ContractLstm):
    """A contract model whose forward() also runs code beyond the contract (a print)."""

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        print("running")
        y, (h, c) = self.lstm(x, (h, c))
        return self.head(y), h, c


class KnobsOfWrongType(ContractLstm):
    knobs: List[int]  # type: ignore[assignment]

    def __init__(self):
        super().__init__(8, knobs=("a",))
        self.knobs = [1]  # type: ignore[list-item]


class Waveshaper(nn.Module):
    """Audio in, audio out, no recurrent state: plays only on the LibTorch engine."""

    sample_rate: int

    def __init__(self):
        super().__init__()
        self.sample_rate = 48000

    def forward(self, x: Tensor) -> Tensor:
        return torch.tanh(3.0 * x)


class WrongSignature(nn.Module):
    """forward() takes a gain as well as the audio: neither the contract nor an audio module."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 8, 1, batch_first=True)

    def forward(self, x: Tensor, gain: float) -> Tensor:
        return x * gain


def scaled(model, gain):
    """Larger than default weights, so the gates leave their linear region on the test signals."""
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(gain)
    return model


def save(model, path):
    torch.jit.save(torch.jit.script(model.eval()), path)


def write_small_wavenet(path):
    """A two-array WaveNet in the .nam format (A1): the second array gated, random weights in the
    order Neural Amp Modeler's trainer exports them, their count computed from the config."""
    arrays = [
        {"input_size": 1, "condition_size": 1, "channels": 4, "head_size": 2, "kernel_size": 3,
         "dilations": [1, 2, 4, 8], "activation": "Tanh", "gated": False, "head_bias": False},
        {"input_size": 4, "condition_size": 1, "channels": 2, "head_size": 1, "kernel_size": 3,
         "dilations": [16, 32, 64], "activation": "Tanh", "gated": True, "head_bias": True},
    ]
    count = 1  # the head scale, last
    for a in arrays:
        c, z = a["channels"], a["channels"] * (2 if a["gated"] else 1)
        count += c * a["input_size"] + a["head_size"] * c + (a["head_size"] if a["head_bias"] else 0)
        count += len(a["dilations"]) * (z * c * a["kernel_size"] + z + z + c * c + c)
    generator = torch.Generator().manual_seed(11)
    weights = ((torch.rand(count, generator=generator) - 0.5) * 0.8).tolist()
    weights[-1] = 0.5
    model = {"version": "0.5.4", "architecture": "WaveNet", "sample_rate": 48000,
             "config": {"layers": arrays, "head": None, "head_scale": 0.5},
             "metadata": {"name": "wavenet_small", "loudness": -12.0}, "weights": weights}
    with open(path, "w") as f:
        json.dump(model, f)


def write_keras_sequence(path):
    """A Keras model as RTNeural's exporter writes it, dense layer first: Dense 8 (tanh), causal
    Conv1D 8 (kernel 3, dilation 2, 2 groups, tanh), BatchNormalization, PReLU, GRU 12, Dense 1.
    Random weights; Keras's layouts (kernels [inputs, outputs], conv kernel [taps, inputs per
    group, outputs], GRU bias [2, 3 H] with gates z, r, h)."""
    g = torch.Generator().manual_seed(12)

    def rand(*shape, scale=0.5):
        return ((torch.rand(*shape, generator=g) - 0.5) * 2 * scale).tolist()

    layers = [
        {"type": "dense", "activation": "tanh", "shape": [None, None, 8], "weights": [rand(1, 8), rand(8)]},
        {"type": "conv1d", "activation": "tanh", "shape": [None, None, 8], "kernel_size": [3], "dilation": [2],
         "groups": 2, "weights": [rand(3, 4, 8), rand(8, scale=0.1)]},
        {"type": "batchnorm", "activation": "", "shape": [None, None, 8], "epsilon": 0.001,
         "weights": [rand(8, scale=1.0), rand(8, scale=0.2), rand(8, scale=0.2),
                     [0.5 + v for v in rand(8, scale=0.3)]]},
        {"type": "prelu", "activation": "", "shape": [None, None, 8], "weights": [rand(1, 8, scale=0.3)]},
        {"type": "gru", "activation": "tanh", "shape": [None, None, 12],
         "weights": [rand(8, 36), rand(12, 36, scale=0.3), rand(2, 36, scale=0.1)]},
        {"type": "dense", "activation": "", "shape": [None, None, 1], "weights": [rand(12, 1), rand(1, scale=0.05)]},
    ]
    with open(path, "w") as f:
        json.dump({"in_shape": [None, None, 1], "layers": layers}, f)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    p = lambda name: os.path.join(out_dir, name)

    shapes = [
        # file, hidden, layers, knobs, skip
        ("lstm1x8.pt", 8, 1, (), False),
        ("lstm1x16_skip.pt", 16, 1, (), True),
        ("lstm2x16.pt", 16, 2, (), False),
        ("lstm1x32_knob.pt", 32, 1, ("gain",), False),
        ("lstm2x24_knobs_skip.pt", 24, 2, ("drive", "tone"), True),
        ("lstm1x40.pt", 40, 1, (), False),
        ("lstm1x64.pt", 64, 1, (), False),
        ("lstm3x20_44k.pt", 20, 3, ("level",), False),
        ("lstm1x40_96k.pt", 40, 1, (), False),  # for the benchmark of the plugin with 2x resampling
    ]
    for seed, (name, hidden, layers, knobs, skip) in enumerate(shapes):
        torch.manual_seed(100 + seed)
        rate = 44100 if "44k" in name else 96000 if "96k" in name else 48000
        save(scaled(ContractLstm(hidden, layers, knobs, skip, rate, name[:-3]), 2.0), p(name))

    write_small_wavenet(p("wavenet_small.nam"))
    write_keras_sequence(p("keras_conv_gru.json"))

    torch.manual_seed(7)
    save(scaled(BareLstm(1, 12, 1, True), 2.0), p("nometa_skip.pt"))
    torch.manual_seed(8)
    save(scaled(BareLstm(2, 12, 2, False), 2.0), p("nometa_knob.pt"))

    # Broken or unsupported files.
    torch.manual_seed(9)
    save(NoLstm(), p("no_lstm.pt"))
    save(NoHead(), p("no_head.pt"))
    save(WrongType(), p("wrong_type.pt"))
    save(Waveshaper(), p("waveshaper.pt"))
    save(UsesPrint(8), p("uses_print.pt"))
    save(WrongSignature(), p("wrong_signature.pt"))

    m = ContractLstm(8, knobs=("a", "b"))
    m.knobs = ["a"]
    m.knob_defaults = [0.5]
    save(m, p("knob_mismatch.pt"))

    m = ContractLstm(8)
    with torch.no_grad():
        m.lstm.weight_hh_l0[3, 2] = float("nan")
    save(m, p("nan_weights.pt"))

    m = ContractLstm(8)
    m.sample_rate = 0
    save(m, p("zero_rate.pt"))
    save(ContractLstm(200), p("hidden200.pt"))
    save(ContractLstm(4, layers=5), p("layers5.pt"))
    save(ContractLstm(1, layers=100), p("layers100.pt"))

    m = ContractLstm(8)
    m.sample_rate = 10_000_000
    save(m, p("rate10mhz.pt"))
    save(ContractLstm(8, knobs=("",)), p("knob_empty_name.pt"))
    save(ContractLstm(8, knobs=("x" * 10000,)), p("knob_long_name.pt"))
    save(KnobsOfWrongType(), p("knobs_wrong_type.pt"))

    # A zip archive, but not TorchScript.
    with zipfile.ZipFile(p("zip_not_torchscript.pt"), "w") as z:
        z.writestr("readme.txt", "just a zip file")
        z.writestr("data/values.csv", "1,2,3\n")

    torch.save(ContractLstm(8).state_dict(), p("state_dict.pt"))

    with open(p("lstm1x8.pt"), "rb") as f:
        good = f.read()
    with open(p("truncated.pt"), "wb") as f:
        f.write(good[: len(good) // 2])
    with open(p("empty.pt"), "wb"):
        pass
    with open(p("random.pt"), "wb") as f:
        # Generator.seed() would draw a fresh seed on every build (and one build in 256 starts with
        # "{", which reads as JSON): the bytes come from a fixed seed instead.
        noise = torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(3), dtype=torch.uint8)
        f.write(noise.numpy().tobytes())

    # The same model as saved by a future PyTorch: the archive's format version raised.
    src = zipfile.ZipFile(io.BytesIO(good))
    with zipfile.ZipFile(p("future_version.pt"), "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith("/version"):
                data = b"99\n"
            dst.writestr(info, data)

    # User-style contract models the native reader recognises, and files it leaves to LibTorch.
    torch.manual_seed(10)
    save(scaled(AlwaysSkip(12, knobs=("gain",)), 2.0), p("always_skip.pt"))
    torch.manual_seed(11)
    save(scaled(NoSkipNestedState(10, 2), 2.0), p("nested_state.pt"))
    torch.manual_seed(12)
    save(scaled(SkipNestedState(8, skip=True), 2.0), p("nested_state_skip.pt"))
    torch.manual_seed(13)
    save(scaled(NoBias(), 2.0), p("no_bias.pt"))
    torch.manual_seed(14)
    save(scaled(ContractLstm(8, knobs=("drive",)), 2.0).double(), p("float64.pt"))
    save(IntegerKnobDefaults(), p("knob_defaults_int.pt"))
    torch.manual_seed(16)
    torch.jit.save(torch.jit.script(scaled(DropoutWhenTraining(), 2.0).train()), p("dropout_when_training.pt"))
    torch.manual_seed(15)
    save(GainAfterHead(8), p("gain_after_head.pt"))
    save(SkipDisagrees(8), p("skip_disagrees.pt"))
    save(Wrapped(), p("wrapped.pt"))
    save(GruContract(), p("gru.pt"))
    save(NameOfWrongType(), p("name_wrong_type.pt"))
    m = ContractLstm(8)
    m.contract_version = 2
    save(m, p("contract_v2.pt"))
    m = ContractLstm(8)
    m.lstm = nn.LSTM(1, 8, 1, batch_first=False)
    save(m, p("batch_first_false.pt"))

    # lstm2x24_knobs_skip.pt as PyTorch 2.x writes it (caffe2/serialize/inline_container.cc): the
    # version record after the others, then "byteorder" and ".data/serialization_id"; a version of
    # 6 or more goes to ".data/version". And saved to a buffer: the archive folder is "archive".
    def rewrite(source, target, transform):
        with zipfile.ZipFile(p(source)) as src, zipfile.ZipFile(p(target), "w", zipfile.ZIP_STORED) as dst:
            records = [(info.filename, src.read(info.filename)) for info in src.infolist()]
            for name, data in transform(records):
                dst.writestr(name, data)

    def pytorch2(version):
        def transform(records):
            folder = records[0][0].split("/")[0] + "/"
            kept = [(n, d) for n, d in records if n != folder + "version"]
            record = ".data/version" if version >= 6 else "version"
            return kept + [(folder + record, f"{version}\n".encode()), (folder + "byteorder", b"little"),
                           (folder + ".data/serialization_id", b"0" * 20 + b"1234567890" * 2)]
        return transform

    rewrite("lstm2x24_knobs_skip.pt", "pytorch2_layout.pt", pytorch2(3))
    rewrite("lstm2x24_knobs_skip.pt", "pytorch2_data_version.pt", pytorch2(10))
    rewrite("lstm2x24_knobs_skip.pt", "pytorch2_newer_version.pt", pytorch2(12))
    rewrite("lstm2x24_knobs_skip.pt", "archive_folder.pt",
            lambda records: [("archive/" + n.split("/", 1)[1], d) for n, d in records])
    rewrite("lstm2x24_knobs_skip.pt", "big_endian.pt",
            lambda records: records + [(records[0][0].split("/")[0] + "/byteorder", b"big")])

    with open(os.path.join(out_dir, "stamp"), "w") as f:
        f.write("ok\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test-models")
