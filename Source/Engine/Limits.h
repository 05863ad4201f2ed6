#pragma once

// Every number TorchAmp accepts from outside (model files, hosts, audio files) has its range here,
// and is checked against it where it enters: models by ModelSpec::validate(), host settings by
// EffectChain::prepare() and ModelRunner, impulse responses by ImpulseResponse::validate(), files by
// readFileBytes() and the tools. README.md lists
// these ranges for users.

#include <cstddef>
#include <string>

namespace torchamp
{

/** What a model may be: checked before anything is allocated for it. */
struct ModelLimits
{
    static constexpr int maxLayers = 4; ///< recurrent layers, in the contract and in a layer sequence
    static constexpr int maxSequenceLayers = 24;
    static constexpr int maxHiddenSize = 128; ///< recurrent units, and the width of any layer of a sequence
    static constexpr int maxConvKernelSize = 32;
    static constexpr int maxConvLookback = 2048; ///< steps a conv1d layer looks back: (kernel size - 1) * dilation
    static constexpr int maxKnobs = 8;
    static constexpr int maxKnobNameLength = 64;
    static constexpr int minSampleRate = 8000;
    static constexpr int maxSampleRate = 384000;

    static constexpr int maxWaveNetLayerArrays = 8;
    static constexpr int maxWaveNetLayers = 64; ///< over all layer arrays
    static constexpr int maxWaveNetChannels = 64;
    static constexpr int maxWaveNetKernelSize = 16;
    static constexpr int maxWaveNetReceptiveField = 65536; ///< samples, as Neural Amp Modeler's own buffers
};

/** What a host (or an audio file standing in for one) may ask for. Outside these ranges the plugin
    passes audio through unprocessed and says why; torchamp-render refuses the file. */
struct HostLimits
{
    static constexpr double minSampleRate = 8000.0;
    static constexpr double maxSampleRate = 768000.0;
    /// Buffers are sized for at most this many samples; a host that announces (or sends) more is
    /// processed in chunks of this size.
    static constexpr int maxBlockSize = 8192;
    /// Used when a host announces a block size of 0 or less (the real blocks are chunked as needed).
    static constexpr int defaultBlockSize = 512;
    static constexpr int maxChannels = 64;

    /// True when `rate` (Hz) is finite and within [minSampleRate, maxSampleRate].
    static bool supportsSampleRate(double rate) noexcept
    {
        return rate >= minSampleRate && rate <= maxSampleRate;
    }
    /// "the host's sample rate, 4000000000 Hz, is outside the 8 kHz..768 kHz TorchAmp supports",
    /// naming `who` ("the host", "in.wav"); empty when the rate is supported.
    static std::string describeUnsupportedSampleRate(double rate, const std::string& who);
    /// The block size buffers are sized for when a host announces `announced`.
    static int preparedBlockSize(int announced) noexcept;
    /// The channel count buffers are sized for when a host announces `announced`.
    static int preparedChannels(int announced) noexcept;
};

/** What a cabinet impulse response may be. Its convolution holds about 16 bytes per tap and channel
    at the host's rate. */
struct ImpulseResponseLimits
{
    static constexpr int maxChannels = 2;
    static constexpr double maxSeconds = 10.0;
};

/** Largest files TorchAmp reads, checked from the file system before reading. */
struct FileLimits
{
    static constexpr std::size_t maxModelBytes = std::size_t{256} << 20;
    static constexpr std::size_t maxAudioFileBytes = std::size_t{1} << 30;
    /// Ten seconds of stereo 64-bit float at 768 kHz, and headers.
    static constexpr std::size_t maxImpulseResponseBytes = std::size_t{128} << 20;
    /// A preset may carry its model and its impulse response in base64 (4/3 of their bytes).
    static constexpr std::size_t maxPresetBytes =
        (maxModelBytes + maxImpulseResponseBytes) / 3 * 4 + (std::size_t{1} << 20);
    /// A saved session holds the model's and the impulse response's bytes in base64 (4/3 of them)
    /// and the parameters.
    static constexpr std::size_t maxStateBytes =
        (maxModelBytes + maxImpulseResponseBytes) / 3 * 4 + (std::size_t{1} << 20);
};

} // namespace torchamp
