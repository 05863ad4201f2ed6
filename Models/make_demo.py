"""Write Resources/demo.wav, the plugin's demo riff, and score a model on it.

    /usr/bin/python3 Models/make_demo.py [--model Resources/DefaultModel.pt]

The riff is synthesised (signals.riff), so it is reproducible and free of rights. With a model
that was trained on one of the targets, the ESR of the model's render against the target's
render of the same riff is printed for every knob setting the report grid uses.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from scipy.io import wavfile

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import signals  # noqa: E402
import targets  # noqa: E402
import train  # noqa: E402


def write_wav(path: Path, audio: np.ndarray) -> None:
    """16-bit mono PCM: the format every host and JUCE's readers accept."""
    peak = np.max(np.abs(audio))
    if peak >= 1.0:
        raise ValueError(f"demo audio peaks at {peak:.2f}, it would clip in a 16-bit file")
    path.parent.mkdir(parents=True, exist_ok=True)
    wavfile.write(path, signals.SAMPLE_RATE, np.round(audio * 32767).astype(np.int16))


def demo_esr(model_path: Path, audio: np.ndarray):
    """ESR of the model against its target on `audio`, per knob setting of the report grid."""
    model = torch.jit.load(str(model_path))
    target = next((t for t in targets.TARGETS.values() if t.description == model.description), None)
    if target is None:
        raise SystemExit(f"{model_path}: not trained on a known target (description "
                         f"'{model.description}'), cannot score it on the demo")
    grid = train.knob_grid(len(target.knobs))
    rows = np.repeat(audio[None, :], len(grid), axis=0)
    x = train.model_input(rows, grid)
    y = torch.from_numpy(target.render(rows, grid))
    with torch.no_grad():
        h = torch.zeros(model.lstm.num_layers, len(grid), model.lstm.hidden_size)
        prediction, _, _ = model(x, h, torch.zeros_like(h))
    results = [{"knobs": dict(zip(target.knobs, map(float, k))),
                "esr": train.esr(prediction[i:i + 1, :, 0], y[i:i + 1]).item()}
               for i, k in enumerate(grid)]
    return target.name, results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE.parent / "Resources" / "demo.wav")
    parser.add_argument("--model", type=Path, help="model to score on the demo riff")
    args = parser.parse_args()
    torch.set_num_threads(1)
    audio = signals.riff()
    write_wav(args.out, audio)
    print(f"{args.out}: {len(audio) / signals.SAMPLE_RATE:.1f} s, peak {np.max(np.abs(audio)):.2f}")
    if args.model:
        name, results = demo_esr(args.model, audio)
        print(json.dumps({"model": str(args.model), "target": name, "demo_esr": results}, indent=2))


if __name__ == "__main__":
    main()
