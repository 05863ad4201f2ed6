#include "NativeEngineFactory.h"

#include "WaveNet.h"

namespace torchamp
{

std::unique_ptr<InferenceEngine> makeNativeEngine(const ModelSpec& spec)
{
    if (spec.wavenet)
        return std::make_unique<WaveNet>(spec);
    return std::make_unique<NativeEngine>(spec);
}

} // namespace torchamp
