"""Say what the TorchAmp plugin will make of a model file: its own loader's verdict.

    python3 -m torchamp.check MODEL [MODEL ...]

The judge is the plugin's C++ loader (build/bin/torchamp-inspect), so this never disagrees with
the plugin. Exit status 0 when every file plays, 1 otherwise; the reason is printed on stderr.
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

from .judge import inspect


class ModelFileError(Exception):
    """The file cannot be played by the plugin; the message says why and what to do."""


@dataclass
class ModelInfo:
    path: Path
    format: str
    architecture: str
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
    parameter_count: int
    native_engine: bool
    engine_reason: str
    warnings: List[str] = field(default_factory=list)

    def summary(self) -> str:
        knobs = ", ".join(f"{k} (default {d:g})" for k, d in zip(self.knobs, self.knob_defaults))
        lines = [
            f"file:         {self.path}",
            f"format:       {self.format}",
            f"name:         {self.name}",
            f"description:  {self.description or '-'}",
            f"author:       {self.author or '-'}",
            f"architecture: {self.architecture}, {self.parameter_count} parameters",
            f"input size:   {self.input_size} (audio + {len(self.knobs)} "
            f"knob{'' if len(self.knobs) == 1 else 's'})",
            f"knobs:        {knobs or 'none'}",
            f"sample rate:  {self.sample_rate} Hz",
            f"skip:         {'yes (output = network + input)' if self.skip else 'no'}",
            f"engine:       {'native (real-time)' if self.native_engine else 'LibTorch (worker thread, adds latency)'}"
            f": {self.engine_reason}",
        ]
        lines += [f"warning:      {w}" for w in self.warnings]
        return "\n".join(lines)


def check(path) -> ModelInfo:
    """Return what the plugin will see in `path`; raise ModelFileError if it cannot play it."""
    path = Path(path)
    verdict = inspect(path)
    if not verdict["ok"]:
        raise ModelFileError(verdict["error"])
    recurrent = [layer for layer in verdict["layers"] if layer["type"] in ("lstm", "gru")]
    metadata = verdict["metadata"]
    return ModelInfo(
        path=path,
        format=verdict["format"],
        architecture=verdict["architecture"],
        layers=len(recurrent),
        hidden=recurrent[-1]["hidden"] if recurrent else 0,
        input_size=verdict["inputs"],
        sample_rate=verdict["sample_rate"],
        skip=verdict["skip"],
        knobs=[k["name"] for k in verdict["knobs"]],
        knob_defaults=[k["default"] for k in verdict["knobs"]],
        name=metadata["name"],
        description=metadata["description"],
        author=metadata["author"],
        parameter_count=verdict["parameters"],
        native_engine=verdict["engine"] == "native",
        engine_reason=verdict["engine_reason"],
        warnings=list(verdict["warnings"]),
    )


def main(argv=None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
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
