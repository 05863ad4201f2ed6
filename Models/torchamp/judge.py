"""The plugin's own judge of model files: build/bin/torchamp-inspect, asked from Python.

The C++ loader is the one implementation of the model contract and its limits; this module runs
it and returns its JSON, so that Python never decides differently from the plugin.
"""

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional

_REPOSITORY = Path(__file__).resolve().parents[2]


class JudgeUnavailable(RuntimeError):
    """torchamp-inspect is not built or installed."""


def inspect_binary() -> Path:
    """Where torchamp-inspect is: $TORCHAMP_INSPECT, this checkout's build/bin, or the PATH."""
    candidates = [os.environ.get("TORCHAMP_INSPECT"), _REPOSITORY / "build" / "bin" / "torchamp-inspect",
                  shutil.which("torchamp-inspect")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise JudgeUnavailable("torchamp-inspect was not found: build TorchAmp first (make, in "
                           f"{_REPOSITORY}), install it (make install) or set TORCHAMP_INSPECT")


def inspect(path, parity: bool = True, engine: Optional[str] = None) -> dict:
    """What the plugin makes of the model file `path`: torchamp-inspect's JSON ("ok" tells)."""
    command = [str(inspect_binary())]
    if not parity:
        command.append("--no-parity")
    if engine:
        command += ["--engine", engine]
    command.append(str(path))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 3) or not result.stdout.strip():
        raise JudgeUnavailable(f"torchamp-inspect failed (exit {result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


@functools.lru_cache(maxsize=1)
def limits() -> dict:
    """The limits the plugin checks models and hosts against (torchamp-inspect --limits)."""
    result = subprocess.run([str(inspect_binary()), "--limits"], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)
