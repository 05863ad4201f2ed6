#pragma once

#include "ModelSpec.h"
#include "Result.h"

#include <string>
#include <vector>

namespace torchamp
{

/** True when `bytes` look like a JSON document (first non-blank byte '{' or '['): a model from another
    project rather than a TorchScript archive (a zip). Any thread. */
bool looksLikeJsonModel(const std::vector<char>& bytes) noexcept;

/** Reads a model file of another project into a ModelSpec the native engine plays:
    - Neural Amp Modeler `.nam` (JSON with "architecture": LSTM, and WaveNet A1 into ModelSpec::wavenet),
    - RTNeural JSON as exported from Keras and used by AIDA-X ("layers", "in_shape"; lstm, gru
      and dense layers; AIDA-X's in_skip, in_gain and out_gain),
    - GuitarML / Automated-GuitarAmpModelling JSON ("model_data" + "state_dict"),
    - a PyTorch state_dict saved as JSON (RTNeural's torch helpers: "lstm.weight_ih_l0", ...).
    Every error message starts with `displayName` (the file name). Off the audio thread. */
Result<ModelSpec> importJsonModel(const std::vector<char>& bytes, const std::string& displayName);

} // namespace torchamp
