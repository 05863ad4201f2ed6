"""Renders audio through the built plugin inside a real host and checks it against torchamp-render.

usage: /usr/bin/python3 host_render_test.py MODE PLUGIN_BUNDLE RENDER_BIN HOST_RENDER_SH WORK_DIR [RATE...]

MODE is lv2 (a small lilv host), ardour-vst3 or ardour-lv2 (Ardour 7, headless): the modes of
../shared/tools/host-render.sh. For each rate, a varied stereo signal is rendered by the host and by
torchamp-render (the same EffectChain, same default model, same defaults); the host's output must
match within 1e-4 on every channel, with the host compensating the plugin's reported latency.
torchamp-render runs with --warm-up: a plugin in a host starts from the model's idle state."""
import json
import os
import subprocess
import sys

import numpy as np
import scipy.io.wavfile

TOLERANCE = 1e-4


def test_signal(rate, seconds=2.0):
    t = np.arange(int(rate * seconds)) / rate
    rng = np.random.default_rng(7)
    pluck = np.exp(-3.0 * (t % 0.5)) * (np.sin(2 * np.pi * 110 * t) + 0.5 * np.sin(2 * np.pi * 330 * t))
    sweep = 0.4 * np.sin(2 * np.pi * (50 + 2000 * t) * t)
    left = 0.5 * pluck + 0.2 * sweep + 0.02 * rng.standard_normal(t.size)
    right = 0.3 * pluck - 0.3 * sweep
    return np.stack([left, right], axis=1).astype(np.float32)


def read(path):
    _, data = scipy.io.wavfile.read(path)
    return data.astype(np.float64).reshape(len(data), -1)


def main():
    mode, bundle, render_bin, host_render, work = sys.argv[1:6]
    rates = [int(r) for r in sys.argv[6:]] or [48000]
    os.makedirs(work, exist_ok=True)
    failures = 0
    for rate in rates:
        source = os.path.join(work, f"in-{rate}.wav")
        signal = test_signal(rate)
        if mode.startswith("ardour"):
            # The Ardour session plays the file on a mono track into the plugin's stereo input:
            # a mono file, duplicated to both channels, is what it renders faithfully.
            signal = signal[:, :1]
        scipy.io.wavfile.write(source, rate, signal)
        reference = os.path.join(work, f"reference-{rate}.wav")
        hosted = os.path.join(work, f"{mode}-{rate}.wav")
        figures = json.loads(subprocess.run([render_bin, "--warm-up", "--in", source, "--out", reference], check=True,
                                            capture_output=True, text=True).stdout)
        # Ardour 7.3's headless session dies now and then (SIGSEGV between closing and reloading
        # the session, or heap corruption at exit; seen about 1 run in 6 with the VST3). Valgrind
        # on the whole host run shows why, in Ardour alone: Graph::reset_thread_list reads memory
        # that close_session() freed, and the render script's hard exit runs static destructors
        # while the Dummy backend's process thread still reads the tempo map. The only reports
        # under TorchAmp's frames are libcpuinfo's memcpy onto itself (inside LibTorch's
        # at::set_num_threads), which is harmless. A host that died is run again, at most twice, and said so; the
        # comparison below is never retried.
        for attempt in range(3):
            if subprocess.run(["bash", host_render, mode, bundle, source, hosted]).returncode == 0:
                break
            print(f"HOST FAILED {mode} {rate} Hz, attempt {attempt + 1} of 3")
        else:
            raise SystemExit(f"FAIL {mode} {rate} Hz: the host failed three times")
        want, got = read(reference), read(hosted)
        if want.shape[1] == 1 and got.shape[1] == 2:
            want = np.repeat(want, 2, axis=1)
        if got.shape != want.shape:
            print(f"FAIL {mode} {rate} Hz: host wrote {got.shape}, torchamp-render {want.shape}")
            failures += 1
            continue
        error = float(np.max(np.abs(got - want)))
        ok = error <= TOLERANCE and np.all(np.isfinite(got))
        failures += 0 if ok else 1
        print(f"{'ok  ' if ok else 'FAIL'} {mode} {rate} Hz: max |host - torchamp-render| = {error:.3g} "
              f"(tolerance {TOLERANCE}), latency {figures['latency_samples']} samples, "
              f"output peak {np.max(np.abs(got)):.3f}")
    print(f"{len(rates) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
