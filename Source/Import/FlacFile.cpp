#include "FlacFile.h"

#include <FLAC/stream_decoder.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace torchamp
{

namespace
{

/** What the decoder's callbacks share: the bytes being read and the audio decoded so far. */
struct Decoding
{
    const unsigned char* bytes = nullptr;
    std::size_t size = 0;
    std::size_t position = 0;
    std::size_t maxSamples = 0;
    AudioData audio;
    std::string problem; // set by a callback that stopped the decoding
};

FLAC__StreamDecoderReadStatus readBytes(const FLAC__StreamDecoder*, FLAC__byte buffer[], size_t* count,
                                        void* data)
{
    auto& d = *static_cast<Decoding*>(data);
    const std::size_t n = std::min(*count, d.size - d.position);
    std::memcpy(buffer, d.bytes + d.position, n);
    d.position += n;
    *count = n;
    return n == 0 ? FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM
                  : FLAC__STREAM_DECODER_READ_STATUS_CONTINUE;
}

FLAC__StreamDecoderWriteStatus writeFrame(const FLAC__StreamDecoder*, const FLAC__Frame* frame,
                                          const FLAC__int32* const buffer[], void* data)
{
    auto& d = *static_cast<Decoding*>(data);
    const auto channels = static_cast<std::size_t>(frame->header.channels);
    const auto bits = static_cast<int>(frame->header.bits_per_sample);
    const std::size_t frames = frame->header.blocksize;
    if (d.audio.channels.empty())
    {
        if (channels == 0 || channels > static_cast<std::size_t>(HostLimits::maxChannels))
        {
            d.problem = "inconsistent FLAC stream (" + std::to_string(channels) + " channels)";
            return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
        }
        d.audio.channels.resize(channels);
        d.audio.sampleRate = frame->header.sample_rate;
    }
    if (channels != d.audio.channels.size() || bits < 4 || bits > 32)
    {
        d.problem = "inconsistent FLAC stream (a frame's channels or sample size changed)";
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    if ((d.audio.numFrames() + frames) * channels > d.maxSamples)
    {
        d.problem = "the audio is longer than TorchAmp reads here";
        return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    const double scale = 1.0 / static_cast<double>(1u << (bits - 1));
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t i = 0; i < frames; ++i)
            d.audio.channels[c].push_back(static_cast<float>(buffer[c][i] * scale));
    return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

void noteMetadata(const FLAC__StreamDecoder*, const FLAC__StreamMetadata* metadata, void* data)
{
    auto& d = *static_cast<Decoding*>(data);
    if (metadata->type == FLAC__METADATA_TYPE_STREAMINFO)
        d.audio.sampleRate = metadata->data.stream_info.sample_rate;
}

void noteError(const FLAC__StreamDecoder*, FLAC__StreamDecoderErrorStatus status, void* data)
{
    auto& d = *static_cast<Decoding*>(data);
    if (d.problem.empty())
        d.problem = std::string("damaged FLAC data (") + FLAC__StreamDecoderErrorStatusString[status] + ")";
}

struct DecoderDeleter
{
    void operator()(FLAC__StreamDecoder* d) const { FLAC__stream_decoder_delete(d); }
};

} // namespace

Result<AudioData> parseFlac(const char* bytes, std::size_t size, const std::string& name,
                            std::size_t maxSamples)
{
    using R = Result<AudioData>;
    if (size < 4 || std::memcmp(bytes, "fLaC", 4) != 0)
        return R::failure(name + ": not a FLAC file (fLaC marker missing)");
    std::unique_ptr<FLAC__StreamDecoder, DecoderDeleter> decoder(FLAC__stream_decoder_new());
    if (!decoder)
        return R::failure(name + ": out of memory for the FLAC decoder");
    FLAC__stream_decoder_set_md5_checking(decoder.get(), true);
    Decoding d;
    d.bytes = reinterpret_cast<const unsigned char*>(bytes);
    d.size = size;
    d.maxSamples = maxSamples;
    if (FLAC__stream_decoder_init_stream(decoder.get(), readBytes, nullptr, nullptr, nullptr, nullptr,
                                         writeFrame, noteMetadata, noteError,
                                         &d) != FLAC__STREAM_DECODER_INIT_STATUS_OK)
        return R::failure(name + ": the FLAC decoder could not start");
    const bool finished = FLAC__stream_decoder_process_until_end_of_stream(decoder.get());
    const auto state = FLAC__stream_decoder_get_state(decoder.get());
    const bool intact = FLAC__stream_decoder_finish(decoder.get()); // false: the MD5 signature differs
    if (!d.problem.empty())
        return R::failure(name + ": " + d.problem);
    if (!finished || state != FLAC__STREAM_DECODER_END_OF_STREAM)
        return R::failure(name + ": damaged or truncated FLAC data (" +
                          FLAC__StreamDecoderStateString[state] + ")");
    if (!intact)
        return R::failure(name + ": damaged FLAC data (the audio does not match the file's MD5 signature)");
    if (d.audio.channels.empty())
        return R::failure(name + ": FLAC file without audio frames");
    return R::success(std::move(d.audio));
}

} // namespace torchamp
