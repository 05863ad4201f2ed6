#pragma once

#include "InferenceEngine.h"
#include "ModelSpec.h"

#include <memory>

namespace torchamp
{

/** The native engine that plays `spec`: the WaveNet engine for a WaveNet, the recurrent network
    (RecurrentNetwork's LSTM kernels) for the recurrent contract and for a layer sequence that is
    one (LSTM layers, then a linear Dense to 1 output), the layer engine (LayerNetwork) for any
    other layer sequence. Not prepared yet. Throws std::invalid_argument when the spec is invalid.
    Off the audio thread. */
std::unique_ptr<InferenceEngine> makeNativeEngine(const ModelSpec& spec);

/** A valid layer sequence of LSTM layers and a final linear Dense(hidden, 1) as the recurrent
    contract (ModelSpec::layers and the head), the rest of the spec unchanged. Off the audio thread. */
ModelSpec asRecurrentContract(const ModelSpec& spec);

} // namespace torchamp
