"""The TorchAmp model: the reference definition of the TorchScript file contract.

The plugin's loader (Source/Torch) reads exactly what this class saves: one `lstm`
submodule, one `head` submodule and the annotated attributes below. Changing any name or
type here is a file-format change and needs `CONTRACT_VERSION` bumped.
"""

from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from .judge import JudgeUnavailable, limits

CONTRACT_VERSION = 1
DEFAULT_SAMPLE_RATE = 48000
DEFAULT_KNOB_VALUE = 0.5


class TorchAmpLSTM(nn.Module):
    """LSTM + linear head mapping [audio, knob values...] to audio, one sample at a time.

    x is [batch, time, 1 + knobs]: channel 0 is audio, channels 1.. are knob values in
    [0, 1]. h and c are [layers, batch, hidden]. With `skip`, the input audio is added to
    the head's output, so the network only learns the difference from a dry signal.
    """

    # Class-level annotations make torch.jit.script keep these as typed module attributes
    # (readable from C++ with module.attr("name")) even when the value is an empty list.
    sample_rate: int
    skip: bool
    knobs: List[str]
    knob_defaults: List[float]
    name: str
    description: str
    author: str
    contract_version: int

    def __init__(
        self,
        hidden: int = 20,
        layers: int = 1,
        knobs: Optional[Sequence[str]] = None,
        knob_defaults: Optional[Sequence[float]] = None,
        skip: bool = False,
        sample_rate: int = DEFAULT_SAMPLE_RATE,
        name: str = "",
        description: str = "",
        author: str = "",
    ):
        super().__init__()
        knobs = [str(k) for k in (knobs or [])]
        if knob_defaults is None:
            knob_defaults = [DEFAULT_KNOB_VALUE] * len(knobs)
        validate_metadata(hidden, layers, knobs, knob_defaults, sample_rate)

        self.lstm = nn.LSTM(1 + len(knobs), hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.sample_rate = int(sample_rate)
        self.skip = bool(skip)
        self.knobs = knobs
        self.knob_defaults = [float(v) for v in knob_defaults]
        self.name = str(name)
        self.description = str(description)
        self.author = str(author)
        self.contract_version = CONTRACT_VERSION

    def forward(self, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        out, (h_new, c_new) = self.lstm(x, (h, c))
        y = self.head(out)
        if self.skip:
            y = y + x[:, :, 0:1]
        return y, h_new, c_new

    def initial_state(self, batch: int = 1) -> Tuple[Tensor, Tensor]:
        """Zero (h, c) for `batch` independent streams, on the model's device and dtype."""
        weight = self.head.weight
        shape = (self.lstm.num_layers, batch, self.lstm.hidden_size)
        return (torch.zeros(shape, dtype=weight.dtype, device=weight.device),
                torch.zeros(shape, dtype=weight.dtype, device=weight.device))


def validate_metadata(hidden: int, layers: int, knobs: Sequence[str],
                      knob_defaults: Sequence[float], sample_rate: int) -> None:
    """Raise ValueError, with a message naming the offending value, if the plugin would refuse it.

    The limits are the plugin's own (torchamp-inspect --limits); where TorchAmp is not built yet,
    only the metadata's own consistency is checked here and the exported file is judged later.
    """
    if len(set(knobs)) != len(knobs) or any(not k.strip() for k in knobs):
        raise ValueError(f"knob names must be non-empty and distinct, got {list(knobs)}")
    if len(knob_defaults) != len(knobs):
        raise ValueError(f"got {len(knobs)} knob names {list(knobs)} but {len(knob_defaults)} "
                         f"knob_defaults; give one default in [0, 1] per knob")
    for k, v in zip(knobs, knob_defaults):
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"default for knob '{k}' must be in [0, 1], got {v}")
    try:
        model = limits()["model"]
    except JudgeUnavailable:
        return
    if not 1 <= layers <= model["max_layers"]:
        raise ValueError(f"layers must be 1..{model['max_layers']} (the plugin's engine limit), got {layers}")
    if not 1 <= hidden <= model["max_hidden_size"]:
        raise ValueError(f"hidden size must be 1..{model['max_hidden_size']} (the plugin's engine limit), "
                         f"got {hidden}")
    if len(knobs) > model["max_knobs"]:
        raise ValueError(f"at most {model['max_knobs']} knobs (the plugin's limit), got {len(knobs)}")
    if not model["min_sample_rate"] <= int(sample_rate) <= model["max_sample_rate"]:
        raise ValueError(f"sample_rate must be the training rate in Hz ({model['min_sample_rate']}.."
                         f"{model['max_sample_rate']}), got {sample_rate}")
