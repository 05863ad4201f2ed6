#pragma once

#include "InferenceEngine.h"
#include "ModelSpec.h"

#include <memory>

namespace torchamp
{

/** The native engine that plays `spec`: the WaveNet engine for a WaveNet, the recurrent network
    otherwise. Not prepared yet. Throws std::invalid_argument when the spec is invalid. Off the
    audio thread. */
std::unique_ptr<InferenceEngine> makeNativeEngine(const ModelSpec& spec);

} // namespace torchamp
