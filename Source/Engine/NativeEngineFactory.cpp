#include "NativeEngineFactory.h"

#include "LayerNetwork.h"
#include "WaveNet.h"

#include <stdexcept>

namespace torchamp
{

namespace
{

/** True when a layer sequence is exactly the recurrent contract: LSTM layers, then one linear
    Dense(hidden, 1). */
bool isLstmContract(const std::vector<LayerSpec>& sequence)
{
    if (sequence.size() < 2 || static_cast<int>(sequence.size()) - 1 > ModelLimits::maxLayers)
        return false;
    for (size_t i = 0; i + 1 < sequence.size(); ++i)
        if (sequence[i].kind != LayerKind::lstm)
            return false;
    const auto& head = sequence.back();
    return head.kind == LayerKind::dense && head.outputSize == 1 && head.activation == Activation::identity;
}

} // namespace

ModelSpec asRecurrentContract(const ModelSpec& spec)
{
    ModelSpec contract = spec;
    contract.sequence.clear();
    for (size_t i = 0; i + 1 < spec.sequence.size(); ++i)
        contract.layers.push_back(spec.sequence[i].recurrent);
    contract.headWeight = spec.sequence.back().weight;
    contract.headBias = spec.sequence.back().bias.empty() ? 0.0f : spec.sequence.back().bias[0];
    return contract;
}

std::unique_ptr<InferenceEngine> makeNativeEngine(const ModelSpec& spec)
{
    if (spec.wavenet)
        return std::make_unique<WaveNet>(spec);
    if (spec.sequence.empty())
        return std::make_unique<NativeEngine>(spec);
    if (auto problem = spec.validate(); !problem.empty())
        throw std::invalid_argument(problem);
    // The LSTM kernels run a whole LSTM stack per step with its head: the fastest LSTM there is.
    if (isLstmContract(spec.sequence))
        return std::make_unique<NativeEngine>(asRecurrentContract(spec));
    return std::make_unique<LayerNetwork>(spec);
}

} // namespace torchamp
