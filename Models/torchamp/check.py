"""Load a model file the way the TorchAmp plugin does and say what the plugin will see.

    python3 -m torchamp.check MODEL.pt [MODEL.pt ...]

Exit status 0 when every file is usable, 1 otherwise; the reason is printed on stderr.
"""

import math
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

import torch

from .model import (CONTRACT_VERSION, DEFAULT_KNOB_VALUE, DEFAULT_SAMPLE_RATE, MAX_HIDDEN,
                    MAX_LAYERS)

# The plugin accepts a native engine when it reproduces the file's own forward() this closely.
PARITY_TOLERANCE = 1e-5


class ModelFileError(Exception):
    """The file cannot be played by the plugin; the message says why and what to do."""


@dataclass
class ModelInfo:
    path: Path
    layers: int
    hidden: int
    input_size: int
    sample_rate: int
    skip: bool
    knobs: List[str]
    knob_defaults: List[float]
    name: str
    description: str
    author: str
    contract_version: int
    parameter_count: int
    native_engine: bool
    warnings: List[str] = field(default_factory=list)

    @property
    def architecture(self) -> str:
        return f"LSTM {self.layers}x{self.hidden}"

    def summary(self) -> str:
        knobs = ", ".join(f"{k} (default {d:g})" for k, d in zip(self.knobs, self.knob_defaults))
        lines = [
            f"file:         {self.path}",
            f"name:         {self.name}",
            f"description:  {self.description or '-'}",
            f"author:       {self.author or '-'}",
            f"architecture: {self.architecture} + Linear({self.hidden}, 1), "
            f"{self.parameter_count} parameters",
            f"input size:   {self.input_size} (audio + {len(self.knobs)} "
            f"knob{'' if len(self.knobs) == 1 else 's'})",
            f"knobs:        {knobs or 'none'}",
            f"sample rate:  {self.sample_rate} Hz",
            f"skip:         {'yes (output = network + input)' if self.skip else 'no'}",
            f"contract:     version {self.contract_version}",
            f"engine:       {'native (real-time)' if self.native_engine else 'LibTorch (worker thread, adds latency)'}",
        ]
        lines += [f"warning:      {w}" for w in self.warnings]
        return "\n".join(lines)


def check(path) -> ModelInfo:
    """Return what the plugin will see in `path`; raise ModelFileError if it cannot play it."""
    path = Path(path)
    module = _load(path)
    warnings: List[str] = []

    lstm, head = _find_layers(module, path)
    weights = {name: p.detach() for name, p in lstm.named_parameters()}
    layers = sum(1 for name in weights if name.startswith("weight_ih_l"))
    if layers == 0 or any(f"weight_ih_l{k}" not in weights for k in range(layers)):
        raise ModelFileError(f"{path}: the LSTM has no usable weights (weight_ih_l0 missing)")
    if any("reverse" in name for name in weights):
        raise ModelFileError(f"{path}: the LSTM is bidirectional; it needs future samples and "
                             f"cannot run in real time")
    if any(name.startswith("weight_hr") for name in weights):
        raise ModelFileError(f"{path}: the LSTM uses proj_size, which the plugin does not support")
    hidden = weights["weight_hh_l0"].shape[1]
    input_size = weights["weight_ih_l0"].shape[1]
    if not 1 <= layers <= MAX_LAYERS or not 1 <= hidden <= MAX_HIDDEN:
        raise ModelFileError(f"{path}: LSTM {layers}x{hidden} is outside what the plugin runs "
                             f"(1..{MAX_LAYERS} layers, hidden 1..{MAX_HIDDEN})")
    if not getattr(lstm, "batch_first", True):
        raise ModelFileError(f"{path}: the LSTM is not batch_first; the plugin feeds "
                             f"[batch, time, inputs]. Rebuild it with batch_first=True")
    for name, w in weights.items():
        expected = _expected_lstm_shape(name, hidden, input_size)
        if tuple(w.shape) != expected:
            raise ModelFileError(f"{path}: LSTM weight {name} has shape {tuple(w.shape)}, "
                                 f"expected {expected} for an LSTM {layers}x{hidden} with "
                                 f"{input_size} inputs")
    head_weight = head.weight.detach()
    if tuple(head_weight.shape) != (1, hidden):
        raise ModelFileError(f"{path}: the head is Linear({head_weight.shape[1]}, "
                             f"{head_weight.shape[0]}), expected Linear({hidden}, 1) after an LSTM "
                             f"of hidden size {hidden}")
    for name, p in list(weights.items()) + [(f"head.{n}", p.detach()) for n, p in head.named_parameters()]:
        if not torch.isfinite(p).all():
            raise ModelFileError(f"{path}: weight {name} contains NaN or infinity; the model "
                                 f"diverged in training. Retrain or export an earlier checkpoint")

    sample_rate = _attribute(module, "sample_rate", int, DEFAULT_SAMPLE_RATE, path, warnings)
    skip = _attribute(module, "skip", bool, False, path, warnings)
    knob_count = input_size - 1
    knobs = _attribute(module, "knobs", list, [f"knob {i + 1}" for i in range(knob_count)], path,
                       warnings)
    if len(knobs) != knob_count:
        raise ModelFileError(f"{path}: the LSTM takes {input_size} inputs (audio + {knob_count} "
                             f"knobs) but the file names {len(knobs)} knobs {knobs}; fix the "
                             f"'knobs' attribute to name exactly the LSTM's extra inputs")
    knob_defaults = _attribute(module, "knob_defaults", list, [DEFAULT_KNOB_VALUE] * knob_count,
                               path, warnings)
    if len(knob_defaults) != knob_count:
        raise ModelFileError(f"{path}: {knob_count} knobs but {len(knob_defaults)} knob_defaults")
    if any(not (isinstance(v, float) and 0.0 <= v <= 1.0) for v in knob_defaults):
        raise ModelFileError(f"{path}: knob_defaults must be floats in [0, 1], got {knob_defaults}")
    if not 8000 <= sample_rate <= 384000:
        raise ModelFileError(f"{path}: sample_rate {sample_rate} Hz is not an audio rate")
    name = _attribute(module, "name", str, path.stem, path, warnings)
    description = _attribute(module, "description", str, "", path, warnings)
    author = _attribute(module, "author", str, "", path, warnings)
    contract_version = _attribute(module, "contract_version", int, CONTRACT_VERSION, path, warnings)
    if contract_version > CONTRACT_VERSION:
        warnings.append(f"contract_version {contract_version} is newer than this checker "
                        f"({CONTRACT_VERSION}); attributes it adds are ignored")

    native = _forward_matches_weights(module, weights, head, layers, hidden, input_size, skip,
                                      path, warnings)
    parameter_count = sum(p.numel() for p in weights.values()) + head_weight.numel() + 1
    return ModelInfo(path, layers, hidden, input_size, sample_rate, skip, list(knobs),
                     [float(v) for v in knob_defaults], name, description, author,
                     contract_version, parameter_count, native, warnings)


def _load(path: Path):
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a TorchScript file (TorchScript files are zip archives; "
                             f"this one is another format or was cut short while copying)")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        bad = _first_corrupt_member(archive)
    if bad is not None:
        raise ModelFileError(f"{path}: the archive is damaged ({bad}); copy the file again")
    if not any("/code/" in n for n in names):
        raise ModelFileError(f"{path}: this is a torch.save() checkpoint, not TorchScript; the "
                             f"plugin needs the network's code as well as its weights. Export it "
                             f"with torchamp.export(model, path)")
    try:
        return torch.jit.load(str(path), map_location="cpu")
    except Exception as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelFileError(f"{path}: TorchScript could not load it ({first_line})") from error


def _first_corrupt_member(archive: zipfile.ZipFile):
    try:
        return archive.testzip()
    except Exception as error:
        return str(error)


def _expected_lstm_shape(name: str, hidden: int, input_size: int):
    if name.startswith("bias"):
        return (4 * hidden,)
    if name == "weight_ih_l0":
        return (4 * hidden, input_size)
    return (4 * hidden, hidden)


def _find_layers(module, path: Path):
    children = list(module.named_children())
    lstms = [m for _, m in children if getattr(m, "original_name", "") == "LSTM"]
    heads = [m for _, m in children if getattr(m, "original_name", "") == "Linear"]
    if len(lstms) != 1:
        found = ", ".join(f"{n} ({getattr(m, 'original_name', '?')})" for n, m in children) or "none"
        raise ModelFileError(f"{path}: expected exactly one torch.nn.LSTM submodule, found "
                             f"{len(lstms)} (submodules: {found}). The plugin can only play "
                             f"LSTM + Linear models; build yours with torchamp.TorchAmpLSTM")
    if len(heads) != 1:
        raise ModelFileError(f"{path}: expected exactly one torch.nn.Linear(hidden, 1) head after "
                             f"the LSTM, found {len(heads)}")
    return lstms[0], heads[0]


def _attribute(module, name: str, kind: type, default, path: Path, warnings: List[str]):
    if not hasattr(module, name):
        warnings.append(f"no '{name}' attribute; using {default!r}")
        return default
    value = getattr(module, name)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is list and ok:
        element = str if name == "knobs" else float
        ok = all(isinstance(v, element) for v in value)
        kind_name = f"List[{element.__name__}]"
    else:
        kind_name = kind.__name__
    if not ok:
        raise ModelFileError(f"{path}: attribute '{name}' must be {kind_name}, found "
                             f"{type(value).__name__} {value!r}")
    return value


def _forward_matches_weights(module, weights, head, layers, hidden, input_size, skip,
                             path: Path, warnings: List[str]) -> bool:
    """Run the file's forward() and compare it to LSTM + head (+ skip) rebuilt from the weights.

    The plugin's native engine computes exactly the latter, so a mismatch means the file's
    forward does something else and only the LibTorch engine can play it faithfully.
    """
    reference_lstm = torch.nn.LSTM(input_size, hidden, layers, batch_first=True)
    reference_lstm.load_state_dict(weights)
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(1, 512, input_size, generator=generator)
    x[:, :, 0] = 0.5 * torch.sin(torch.linspace(0, 60 * math.pi, 512)) + 0.1 * x[:, :, 0]
    h = torch.zeros(layers, 1, hidden)
    c = torch.zeros(layers, 1, hidden)
    try:
        with torch.no_grad():
            result = module(x, h, c)
    except Exception as error:
        raise ModelFileError(f"{path}: forward(x, h, c) failed with x [1, 512, {input_size}] and "
                             f"h, c [{layers}, 1, {hidden}]: "
                             f"{str(error).strip().splitlines()[-1]}") from error
    if not (isinstance(result, tuple) and len(result) == 3):
        raise ModelFileError(f"{path}: forward(x, h, c) must return (y, h, c), it returned "
                             f"{type(result).__name__}")
    y, h_new, c_new = result
    if tuple(y.shape) != (1, 512, 1) or h_new.shape != h.shape or c_new.shape != c.shape:
        raise ModelFileError(f"{path}: forward returned shapes y {tuple(y.shape)}, h "
                             f"{tuple(h_new.shape)}, c {tuple(c_new.shape)}; expected y "
                             f"(1, 512, 1) and h, c {tuple(h.shape)}")
    if not torch.isfinite(y).all():
        raise ModelFileError(f"{path}: forward produces NaN or infinity on a quiet sine; the "
                             f"model is broken")
    with torch.no_grad():
        out, _ = reference_lstm(x, (h, c))
        expected = torch.nn.functional.linear(out, head.weight, head.bias)
        if skip:
            expected = expected + x[:, :, 0:1]
    error = (expected - y).abs().max().item()
    if error > PARITY_TOLERANCE:
        warnings.append(f"forward() differs from LSTM + head{' + skip' if skip else ''} by "
                        f"{error:.3g}; the plugin will run it on LibTorch, not the native engine")
        return False
    return True


def main(argv=None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    status = 0
    for i, p in enumerate(paths):
        try:
            info = check(p)
        except ModelFileError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 1
            continue
        if i:
            print()
        print(info.summary())
    return status


if __name__ == "__main__":
    sys.exit(main())
