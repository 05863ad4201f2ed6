"""Save a model as a TorchScript file the TorchAmp plugin can load."""

import copy
import os
import tempfile
from pathlib import Path
from typing import Tuple, Union

import torch
from torch import nn

from .model import TorchAmpLSTM

# Bound on |eager - reloaded| for the probe: both run the same float32 kernels, so anything
# above rounding noise means the saved file is not the model that was trained.
ROUND_TRIP_TOLERANCE = 1e-6

METADATA_KEYS = ("sample_rate", "skip", "knobs", "knob_defaults", "name", "description", "author")

ModelLike = Union[TorchAmpLSTM, nn.Module, Tuple[nn.LSTM, nn.Linear]]


def export(model: ModelLike, path, **metadata) -> Path:
    """Write `model` to `path` as a contract-conforming TorchScript file and return the path.

    `model` is a TorchAmpLSTM, an (nn.LSTM, nn.Linear) pair, or any nn.Module holding exactly
    one nn.LSTM and one nn.Linear (their weights are copied). Keyword arguments set metadata:
    sample_rate, skip, knobs, knob_defaults, name, description, author; `name` defaults to
    the model's own name, else the file's stem. The file is reloaded and checked against the eager model before this
    returns, so a file that exists is a file that works.
    """
    unknown = sorted(set(metadata) - set(METADATA_KEYS))
    if unknown:
        raise TypeError(f"unknown metadata {unknown}; known keys are {list(METADATA_KEYS)}")
    path = Path(path)
    if "name" not in metadata and not (isinstance(model, TorchAmpLSTM) and model.name):
        metadata["name"] = path.stem

    amp = to_torchamp(model, **metadata)
    amp = amp.to(device="cpu", dtype=torch.float32).eval()
    for pname, p in amp.named_parameters():
        if not torch.isfinite(p).all():
            raise ValueError(f"parameter '{pname}' has NaN or infinite values; the model diverged "
                             f"in training and cannot be exported")

    scripted = torch.jit.script(amp)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write next to the target and rename, so a crash never leaves a truncated model behind.
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.jit.save(scripted, tmp)
        # mkstemp makes the file private; a model is meant to be shared, so use the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)

    _verify_round_trip(amp, path)
    return path


def to_torchamp(model: ModelLike, **metadata) -> TorchAmpLSTM:
    """Return a TorchAmpLSTM equal to `model` with `metadata` applied, leaving `model` untouched."""
    if isinstance(model, TorchAmpLSTM):
        amp = copy.deepcopy(model)
        fields = {k: getattr(amp, k) for k in METADATA_KEYS}
        if "knobs" in metadata and "knob_defaults" not in metadata:
            fields.pop("knob_defaults")
        fields.update(metadata)
        rebuilt = TorchAmpLSTM(hidden=amp.lstm.hidden_size, layers=amp.lstm.num_layers, **fields)
        if rebuilt.lstm.input_size != amp.lstm.input_size:
            raise ValueError(f"the model's LSTM takes {amp.lstm.input_size} inputs (audio + "
                             f"{amp.lstm.input_size - 1} knobs) but knobs={fields['knobs']} names "
                             f"{len(fields['knobs'])}")
        rebuilt.load_state_dict(amp.state_dict())
        return rebuilt

    lstm, linear = _find_lstm_and_linear(model)
    _check_user_layers(lstm, linear, metadata.get("knobs"))
    metadata.setdefault("knobs", [])
    amp = TorchAmpLSTM(hidden=lstm.hidden_size, layers=lstm.num_layers, **metadata)
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            for kind in ("weight_ih", "weight_hh"):
                getattr(amp.lstm, f"{kind}_l{layer}").copy_(getattr(lstm, f"{kind}_l{layer}"))
            for kind in ("bias_ih", "bias_hh"):
                target = getattr(amp.lstm, f"{kind}_l{layer}")
                if lstm.bias:
                    target.copy_(getattr(lstm, f"{kind}_l{layer}"))
                else:
                    target.zero_()
        amp.head.weight.copy_(linear.weight)
        if linear.bias is not None:
            amp.head.bias.copy_(linear.bias)
        else:
            amp.head.bias.zero_()
    return amp


def _find_lstm_and_linear(model) -> Tuple[nn.LSTM, nn.Linear]:
    if isinstance(model, (tuple, list)):
        if len(model) != 2 or not isinstance(model[0], nn.LSTM) or not isinstance(model[1], nn.Linear):
            raise TypeError("pass the pair as (nn.LSTM, nn.Linear), in that order")
        return model[0], model[1]
    if not isinstance(model, nn.Module):
        raise TypeError(f"cannot export a {type(model).__name__}: pass a TorchAmpLSTM, an "
                        f"(nn.LSTM, nn.Linear) pair, or a module containing one of each")
    lstms = [m for m in model.modules() if isinstance(m, nn.LSTM)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if len(lstms) != 1 or len(linears) != 1:
        raise ValueError(f"{type(model).__name__} holds {len(lstms)} nn.LSTM and {len(linears)} "
                         f"nn.Linear modules; TorchAmp models are exactly one LSTM followed by one "
                         f"Linear(hidden, 1). Pass the pair explicitly: export((lstm, linear), path)")
    return lstms[0], linears[0]


def _check_user_layers(lstm: nn.LSTM, linear: nn.Linear, knobs) -> None:
    if lstm.bidirectional:
        raise ValueError("bidirectional LSTMs look into the future and cannot run in real time")
    if getattr(lstm, "proj_size", 0):
        raise ValueError(f"LSTM proj_size={lstm.proj_size} is not supported; retrain with proj_size=0")
    if linear.out_features != 1:
        raise ValueError(f"the Linear head must produce 1 audio output, it has {linear.out_features}")
    if linear.in_features != lstm.hidden_size:
        raise ValueError(f"the Linear head takes {linear.in_features} inputs but the LSTM's hidden "
                         f"size is {lstm.hidden_size}")
    knob_count = lstm.input_size - 1
    if knob_count < 0:
        raise ValueError("the LSTM must take at least the audio input (input_size >= 1)")
    if knobs is None and knob_count > 0:
        raise ValueError(f"the LSTM takes {lstm.input_size} inputs: audio plus {knob_count} knob "
                         f"channels. Name them, e.g. knobs=['drive'] for channel 1")
    if knobs is not None and len(knobs) != knob_count:
        raise ValueError(f"the LSTM takes {lstm.input_size} inputs (audio + {knob_count} knobs) but "
                         f"knobs={list(knobs)} names {len(knobs)}")


def _verify_round_trip(amp: TorchAmpLSTM, path: Path) -> None:
    loaded = torch.jit.load(str(path), map_location="cpu")
    generator = torch.Generator().manual_seed(0)
    layers, hidden = amp.lstm.num_layers, amp.lstm.hidden_size
    x = torch.rand(2, 257, amp.lstm.input_size, generator=generator)
    x[:, :, 0] = x[:, :, 0] * 2 - 1
    h = torch.randn(layers, 2, hidden, generator=generator) * 0.1
    c = torch.randn(layers, 2, hidden, generator=generator) * 0.1
    with torch.no_grad():
        expected = amp(x, h, c)
        got = loaded(x, h, c)
    for label, e, g in zip(("y", "h", "c"), expected, got):
        error = (e - g).abs().max().item()
        if e.shape != g.shape or not error <= ROUND_TRIP_TOLERANCE:
            raise RuntimeError(f"{path}: the saved model does not reproduce the eager model "
                               f"({label} differs by {error:g}); the file was not written correctly")
