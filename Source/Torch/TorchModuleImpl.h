#pragma once

// TorchModule's LibTorch side, shared by the sources of this library that include LibTorch.

#include "TorchModule.h"

#include <torch/script.h>

#include <optional>

namespace torchamp
{

struct TorchModule::Impl
{
    torch::jit::Module module;
    std::string displayName;
    int layers = 0;
    int hidden = 0;
    int inputs = 0;
};

/** What the contract's forward() returned: (y, h, c), or (y, (h, c)) as nn.LSTM itself does. */
struct ContractOutput
{
    torch::Tensor y, h, c;
};

/** Reads a contract forward()'s result; nullopt when it has neither shape. */
inline std::optional<ContractOutput> unpackContractOutput(const c10::IValue& result)
{
    if (!result.isTuple())
        return std::nullopt;
    const auto& e = result.toTupleRef().elements();
    if (e.size() == 3 && e[0].isTensor() && e[1].isTensor() && e[2].isTensor())
        return ContractOutput { e[0].toTensor(), e[1].toTensor(), e[2].toTensor() };
    if (e.size() == 2 && e[0].isTensor() && e[1].isTuple())
    {
        const auto& state = e[1].toTupleRef().elements();
        if (state.size() == 2 && state[0].isTensor() && state[1].isTensor())
            return ContractOutput { e[0].toTensor(), state[0].toTensor(), state[1].toTensor() };
    }
    return std::nullopt;
}

} // namespace torchamp
