"""Independent forward passes of other projects' model formats, written from each format's own
description (not from TorchAmp's C++), in float64 with numpy or torch. Used by test_import_formats.py
to check what torchamp-render plays.

- Neural Amp Modeler .nam, LSTM: one flat "weights" array; per layer a row-major [4H, in + H]
  matrix over the concatenation [x, h], the bias [4H], the initial h [H] and c [H]; then the head
  weight [H] and bias. Gates i, f, g, o. (NeuralAmpModelerCore's LSTM description.)
- RTNeural / Keras JSON: Keras equations. LSTM: z = x K + h R + b, gates i, f, c, o.
  GRU (reset_after): x K + b[0] and h R + b[1], gates z, r, h; h' = z h + (1 - z) tanh(..).
  Dense: act(x K + b). Conv1D (padding="causal"): y[t] = b + sum over taps k of
  x[t - (kernel_size - 1 - k) * dilation] K[k], each of `groups` output groups reading its own
  input group. BatchNormalization (inference): (x - moving_mean) / sqrt(moving_var + epsilon)
  * gamma + beta. PReLU: x if x >= 0 else alpha x. AIDA-X: x' = x * in_gain;
  y = (net(x') + in_skip * x') * out_gain.
- PyTorch state_dict JSON (RTNeural torch helpers, GuitarML): torch.nn.LSTM / GRU / Linear
  themselves, loaded with the file's tensors.
"""

import json
from collections import OrderedDict

import numpy as np
import torch


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def nam_lstm(model, x):
    cfg = model["config"]
    layers, inputs, hidden = cfg["num_layers"], cfg["input_size"], cfg["hidden_size"]
    w = np.asarray(model["weights"], dtype=np.float64)
    pos = 0

    def take(n):
        nonlocal pos
        out = w[pos:pos + n]
        pos += n
        return out

    cells = []
    for layer in range(layers):
        n_in = inputs if layer == 0 else hidden
        W = take(4 * hidden * (n_in + hidden)).reshape(4 * hidden, n_in + hidden)
        b = take(4 * hidden)
        h = take(hidden).copy()
        c = take(hidden).copy()
        cells.append([W, b, h, c])
    head_w = take(hidden)
    head_b = take(1)[0]
    assert pos == len(w), "the .nam weights are not all used"
    H = hidden
    y = np.zeros(len(x))
    for t, sample in enumerate(x):
        u = np.array([sample], dtype=np.float64)
        for cell in cells:
            W, b, h, c = cell
            g = W @ np.concatenate([u, h]) + b
            c = sigmoid(g[H:2 * H]) * c + sigmoid(g[:H]) * np.tanh(g[2 * H:3 * H])
            h = sigmoid(g[3 * H:]) * np.tanh(c)
            cell[2], cell[3] = h, c
            u = h
        y[t] = head_w @ u + head_b
    return y


def softmax(v):
    e = np.exp(v - np.max(v))
    return e / np.sum(e)


ACTIVATIONS = {"": lambda v: v, "linear": lambda v: v, "tanh": np.tanh, "sigmoid": sigmoid,
               "relu": lambda v: np.maximum(v, 0.0), "softmax": softmax,
               "elu": lambda v: np.where(v > 0.0, v, np.expm1(np.minimum(v, 0.0)))}


def keras_conv1d(layer, ws, history, u):
    """One causal step of Keras' Conv1D; `history` holds the inputs, newest last."""
    K, b = ws
    taps, per_group, outputs = K.shape
    dilation = np.atleast_1d(layer.get("dilation", 1))[-1]
    groups = int(layer.get("groups", 1) or 1)
    history.append(u)
    span = (taps - 1) * dilation + 1
    del history[:-span]
    y = np.array(b, dtype=np.float64)
    per_out = outputs // groups
    for k in range(taps):
        back = (taps - 1 - k) * dilation
        if back >= len(history):
            continue  # the zeros of causal padding
        x = history[-1 - back]
        for g in range(groups):
            y[g * per_out:(g + 1) * per_out] += x[g * per_group:(g + 1) * per_group] @ K[k, :, g * per_out:(g + 1) * per_out]
    return y


def keras_batchnorm(layer, ws, u):
    if len(ws) == 4:
        gamma, beta, mean, var = ws
    else:
        mean, var = ws
        gamma, beta = np.ones_like(mean), np.zeros_like(mean)
    return (u - mean) / np.sqrt(var + float(layer["epsilon"])) * gamma + beta


def keras_prelu(ws, u):
    alpha = np.broadcast_to(ws[0].reshape(-1), u.shape)
    return np.where(u >= 0.0, u, alpha * u)


def keras_forward(model, x):
    """RTNeural's Keras-style JSON, one input (audio), as Keras computes it."""
    layers = []
    raw = model["layers"]
    for layer in raw:
        ws = [np.asarray(a, dtype=np.float64) for a in layer["weights"]]
        layers.append((layer["type"], layer.get("activation", ""), ws))
    state = [None] * len(layers)
    in_gain = 10.0 ** (model.get("in_gain", 0.0) / 20.0)
    out_gain = 10.0 ** (model.get("out_gain", 0.0) / 20.0)
    skip = int(model.get("in_skip", 0) or 0)
    y = np.zeros(len(x))
    for t, sample in enumerate(x):
        u = np.array([sample * in_gain])
        for k, (kind, act, ws) in enumerate(layers):
            if kind == "lstm":
                K, R, b = ws
                H = R.shape[0]
                h, c = state[k] if state[k] is not None else (np.zeros(H), np.zeros(H))
                z = u @ K + h @ R + b
                i, f, cc, o = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
                c = sigmoid(f) * c + sigmoid(i) * np.tanh(cc)
                h = sigmoid(o) * np.tanh(c)
                state[k] = (h, c)
                u = h
            elif kind == "gru":
                K, R, b = ws
                H = R.shape[0]
                h = state[k] if state[k] is not None else np.zeros(H)
                mx = u @ K + b[0]
                mh = h @ R + b[1]
                z = sigmoid(mx[:H] + mh[:H])
                r = sigmoid(mx[H:2 * H] + mh[H:2 * H])
                hh = np.tanh(mx[2 * H:] + r * mh[2 * H:])
                h = z * h + (1.0 - z) * hh
                state[k] = h
                u = h
            elif kind in ("dense", "time-distributed-dense"):
                K, b = ws
                u = ACTIVATIONS[act](u @ K + b)
            elif kind == "conv1d":
                if state[k] is None:
                    state[k] = []
                u = ACTIVATIONS[act](keras_conv1d(raw[k], ws, state[k], u))
            elif kind == "batchnorm":
                u = keras_batchnorm(raw[k], ws, u)
            elif kind == "prelu":
                u = keras_prelu(ws, u)
            elif kind == "activation":
                u = ACTIVATIONS[act](u)
            else:
                raise ValueError("layer type " + kind)
        out = u[0] + (sample * in_gain if skip else 0.0)
        y[t] = out * out_gain
    return y


def _torch_modules(state_dict):
    """Modules of a state_dict in key order: ("rnn", nn.LSTM/GRU) or ("linear", nn.Linear)."""
    groups = OrderedDict()
    for key, value in state_dict.items():
        module, _, param = key.rpartition(".")
        groups.setdefault(module, OrderedDict())[param] = torch.tensor(value, dtype=torch.float64)
    modules = []
    for params in groups.values():
        if "weight_ih_l0" in params:
            layers = sum(1 for p in params if p.startswith("weight_ih_l"))
            hidden = params["weight_hh_l0"].shape[1]
            gates = params["weight_hh_l0"].shape[0] // hidden
            inputs = params["weight_ih_l0"].shape[1]
            cls = torch.nn.LSTM if gates == 4 else torch.nn.GRU
            m = cls(inputs, hidden, num_layers=layers, batch_first=True, bias="bias_ih_l0" in params)
            m = m.double()
            m.load_state_dict(params)
            modules.append(m)
        else:
            w = params["weight"]
            m = torch.nn.Linear(w.shape[1], w.shape[0], bias="bias" in params).double()
            m.load_state_dict(params)
            modules.append(m)
    return modules


def state_dict_forward(model, x, knobs=()):
    """A bare state_dict, or GuitarML's {"model_data", "state_dict"} (SimpleRNN: lin(rec(x)) + x[:skip])."""
    state_dict = model.get("state_dict", model)
    skip = int(model.get("model_data", {}).get("skip", 0))
    feats = np.column_stack([x] + [np.full(len(x), k) for k in knobs])
    u = torch.tensor(feats, dtype=torch.float64).reshape(1, len(x), -1)
    inp = u
    with torch.no_grad():
        for m in _torch_modules(state_dict):
            u = m(u)[0] if isinstance(m, (torch.nn.LSTM, torch.nn.GRU)) else m(u)
        y = u[0, :, 0]
        if skip:
            y = y + inp[0, :, 0]
    return y.numpy()


def forward(path, x):
    with open(path) as f:
        model = json.load(f, object_pairs_hook=OrderedDict)
    if "architecture" in model:
        return nam_lstm(model, x)
    if "layers" in model:
        return keras_forward(model, x)
    return state_dict_forward(model, x)
