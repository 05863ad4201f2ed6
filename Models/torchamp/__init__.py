"""TorchAmp's model file contract in Python: build, export and check models for the plugin."""

import warnings

# `python3 -m torchamp.check` imports this package, which has already imported the check
# module for the check() function below; runpy then warns that it runs that module a second
# time as __main__. That is intended and harmless, so the message is not shown to users.
warnings.filterwarnings("ignore", category=RuntimeWarning,
                        message=r"'torchamp\.check' found in sys\.modules")

from .check import ModelFileError, ModelInfo, check  # noqa: E402
from .export import export  # noqa: E402
from .model import CONTRACT_VERSION, TorchAmpLSTM  # noqa: E402

__all__ = ["TorchAmpLSTM", "export", "check", "ModelInfo", "ModelFileError", "CONTRACT_VERSION"]
