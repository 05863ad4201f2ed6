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
    std::optional<torch::jit::Module> lstm; // the contract's LSTM, once found
    int layers = 0;
    int hidden = 0;
    int inputs = 0;
};

} // namespace torchamp
