#pragma once

#include "ArchiveCheck.h"

#include <cstddef>
#include <string>

namespace torchamp
{

/** What the user reads about a TorchScript file that cannot play, written once for both readers
    (the native TorchScriptReader and LibTorch's TorchModule). Each message starts with the file
    name and says what to do. The contract's own rules word theirs in ContractRules. Any thread. */
struct TorchScriptMessages
{
    static std::string emptyFile(const std::string& fileName);

    /// Not a zip archive (random bytes) or a cut-short one.
    static std::string notTorchScript(const std::string& fileName, std::size_t size);

    /// What ArchiveCheck refused, as the user reads it: not TorchScript, too large, or damaged.
    static std::string archiveRefused(const std::string& fileName, std::size_t size,
                                      const ArchiveCheck& check);

    /// A zip whose sizes, records or pickles are damaged (`reason` says how).
    static std::string damagedArchive(const std::string& fileName, const std::string& reason);

    /// A torch.save checkpoint: data without code.
    static std::string checkpointNotTorchScript(const std::string& fileName);

    /// A zip archive that is neither TorchScript nor a checkpoint.
    static std::string zipNotTorchScript(const std::string& fileName);

    /// forward() is neither the contract's forward(x, h, c) nor an audio module's forward(x).
    static std::string forwardMismatch(const std::string& fileName);

    /// The warning for a file without a `skip` attribute whose forward() shows whether it adds the input.
    static std::string noSkipAttribute(bool forwardAddsInput);
};

} // namespace torchamp
