"""A faster LSTM for training: fast_lstm.cpp through ctypes, as a torch.autograd.Function.

PyTorch 1.13's CPU nn.LSTM spends most of its time in per-step operator and autograd overhead
at TorchAmp's sizes; fast_lstm.cpp does the same arithmetic (same gate order, same weights)
in a few Eigen products per step. It is compiled on first use with the system's g++ and Eigen
(`g++`, `libeigen3-dev`, both installed by scripts/install-deps.sh) into `Models/.build/`.
Only training uses it: the exported file holds an ordinary nn.LSTM, and every score in a
report is computed with that nn.LSTM.
"""

import ctypes
import hashlib
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Tuple

import torch
from torch import Tensor

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "fast_lstm.cpp"
EIGEN = Path("/usr/include/eigen3")
COMPILE = ["g++", "-O3", "-march=native", "-ffp-contract=fast", "-DNDEBUG", "-std=c++17",
           "-shared", "-fPIC", f"-I{EIGEN}"]

_library: Optional[ctypes.CDLL] = None


class Unavailable(RuntimeError):
    """The kernel cannot be built here (no g++ or Eigen); training falls back to nn.LSTM."""


def _build() -> Path:
    source = SOURCE.read_bytes()
    key = hashlib.sha256(source + " ".join(COMPILE).encode()).hexdigest()[:16]
    folder = HERE / ".build"
    library = folder / f"fast_lstm-{key}.so"
    if library.exists():
        return library
    if not (EIGEN / "Eigen" / "Dense").exists():
        raise Unavailable(f"Eigen headers not found in {EIGEN} (package libeigen3-dev)")
    # Build under a temporary name and rename, so two trainings starting together never load
    # a half-written library.
    try:
        folder.mkdir(exist_ok=True)
        handle, temporary = tempfile.mkstemp(suffix=".so", dir=folder)
    except OSError as error:
        raise Unavailable(f"cannot write the compiled kernel into {folder}: {error}") from error
    os.close(handle)
    try:
        result = subprocess.run(COMPILE + [str(SOURCE), "-o", temporary], capture_output=True, text=True)
    except FileNotFoundError as error:
        os.unlink(temporary)
        raise Unavailable(f"cannot compile {SOURCE.name}: {error}") from error
    if result.returncode != 0:
        os.unlink(temporary)
        raise Unavailable(f"compiling {SOURCE.name} failed:\n{result.stderr.strip()}")
    os.replace(temporary, library)
    return library


def library() -> ctypes.CDLL:
    """The compiled kernel, built if needed. Raises Unavailable when it cannot be."""
    global _library
    if _library is None:
        loaded = ctypes.CDLL(str(_build()))
        pointer, integer = ctypes.c_void_p, ctypes.c_int
        loaded.torchamp_lstm_forward.argtypes = [integer] * 4 + [pointer] * 12
        loaded.torchamp_lstm_forward.restype = None
        loaded.torchamp_lstm_backward.argtypes = [integer] * 4 + [pointer] * 17
        loaded.torchamp_lstm_backward.restype = None
        _library = loaded
    return _library


def _ptr(tensor: Optional[Tensor]):
    return None if tensor is None else ctypes.c_void_p(tensor.data_ptr())


def _ready(tensor: Optional[Tensor]) -> Optional[Tensor]:
    return None if tensor is None else tensor.detach().to(torch.float32).contiguous()


class LSTMLayer(torch.autograd.Function):
    """One layer: (x [B, T, I], h0 [B, H], c0 [B, H], weights, saving) -> (y [B, T, H], h [B, H],
    c [B, H]). `saving` is False under torch.no_grad (inside forward() autograd is always off, so
    the caller says): then nothing is kept for a backward pass; one validation block of the
    overdrive (135 rows x 48,000 samples) through a 1x32 would otherwise keep 3.3 GB of gates."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, saving):
        x, h0, c0, w_ih, w_hh = (_ready(t) for t in (x, h0, c0, w_ih, w_hh))
        bias = _ready(b_ih + b_hh)
        B, T, I = x.shape
        H = h0.shape[1]
        y = torch.empty(B, T, H)
        h, c = torch.empty(B, H), torch.empty(B, H)
        gates = torch.empty(T, B, 4 * H) if saving else None
        cells = torch.empty(T + 1, B, H) if saving else None
        tanh_cells = torch.empty(T, B, H) if saving else None
        library().torchamp_lstm_forward(T, B, I, H, _ptr(x), _ptr(h0), _ptr(c0), _ptr(w_ih), _ptr(w_hh),
                                        _ptr(bias), _ptr(y), _ptr(gates), _ptr(cells), _ptr(tanh_cells),
                                        _ptr(h), _ptr(c))
        if saving:
            ctx.save_for_backward(x, h0, w_ih, w_hh, gates, cells, tanh_cells, y)
        return y, h, c

    @staticmethod
    def backward(ctx, dy, dh, dc):
        x, h0, w_ih, w_hh, gates, cells, tanh_cells, y = ctx.saved_tensors
        B, T, I = x.shape
        H = h0.shape[1]
        dw_ih, dw_hh, dbias = torch.empty_like(w_ih), torch.empty_like(w_hh), torch.empty(4 * H)
        dx = torch.empty_like(x) if ctx.needs_input_grad[0] else None
        dh0, dc0 = torch.empty(B, H), torch.empty(B, H)
        # Named, so the tensors outlive the call (a pointer alone keeps nothing alive).
        dy, dh, dc = _ready(dy), _ready(dh), _ready(dc)
        library().torchamp_lstm_backward(T, B, I, H, _ptr(x), _ptr(h0), _ptr(w_ih), _ptr(w_hh), _ptr(gates),
                                         _ptr(cells), _ptr(tanh_cells), _ptr(y), _ptr(dy),
                                         _ptr(dh), _ptr(dc), _ptr(dw_ih), _ptr(dw_hh),
                                         _ptr(dbias), _ptr(dx), _ptr(dh0), _ptr(dc0))
        return dx, dh0, dc0, dw_ih, dw_hh, dbias, dbias.clone(), None


def forward(model, x: Tensor, h: Tensor, c: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """What `model(x, h, c)` computes for a TorchAmpLSTM (LSTM, head, optional skip), layer by
    layer through the kernel; gradients flow to the model's parameters as with nn.LSTM."""
    lstm = model.lstm
    saving = torch.is_grad_enabled() and any(p.requires_grad for p in lstm.parameters())
    out = x
    hs, cs = [], []
    for layer in range(lstm.num_layers):
        out, h_layer, c_layer = LSTMLayer.apply(
            out, h[layer], c[layer], getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}"),
            getattr(lstm, f"bias_ih_l{layer}"), getattr(lstm, f"bias_hh_l{layer}"), saving)
        hs.append(h_layer)
        cs.append(c_layer)
    y = model.head(out)
    if model.skip:
        y = y + x[:, :, 0:1]
    return y, torch.stack(hs), torch.stack(cs)
