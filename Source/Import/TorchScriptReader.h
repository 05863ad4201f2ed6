#pragma once

#include "ModelSpec.h"
#include "Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace torchamp
{

struct RecognisedForm;

/** What the native reader found in a TorchScript file. */
struct TorchScriptModel
{
    enum class Verdict
    {
        contract,   ///< a contract model: spec is what the native engine plays
        notProvable ///< maybe a model, but only LibTorch can tell: reason says why
    };

    Verdict verdict = Verdict::notProvable;
    /// contract: the same spec as TorchModule::extractSpec gives, with skip taken from forward().
    ModelSpec spec;
    /// contract: the file has a `skip` attribute (else spec.warnings says what forward() does).
    bool skipStated = false;
    /// contract: which recognised form forward() has (ForwardRecogniser::forms()).
    const RecognisedForm* form = nullptr;
    /// notProvable: why, in words for the user, without the file name.
    std::string reason;
    /// The archive's file format version, when the reader got that far; 0 otherwise.
    std::uint64_t formatVersion = 0;
};

/** Reads a TorchScript file without LibTorch and without running any of its code, and decides
    whether it is a contract model (README, "The model file contract"): the archive is checked
    (ArchiveCheck), its module, attributes and tensors read (TorchScriptArchive), the contract's
    rules applied (ContractRules, the same rules and messages as LibTorch's TorchModule), and
    forward() recognised as one of ForwardRecogniser::forms().

    - A contract model: Verdict::contract with its spec.
    - A file that may be a model but is not provably a contract one (an audio module's forward(x),
      other operations in forward(), a layout this reader does not know): Verdict::notProvable,
      for the LibTorch path to decide.
    - A file no reader can play (not TorchScript, damaged, a checkpoint, a contract file that
      breaks a rule): an error, starting with `displayName` and saying what to do.

    Files saved by a PyTorch newer than the bundled LibTorch read like any other when their
    layout is the one this reader knows. Allocates in proportion to the file's size; recursion is
    bounded. Any thread but the audio thread. */
Result<TorchScriptModel> readTorchScript(const std::vector<char>& bytes, const std::string& displayName);

} // namespace torchamp
