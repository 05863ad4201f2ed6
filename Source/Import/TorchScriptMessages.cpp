#include "TorchScriptMessages.h"

namespace torchamp
{

std::string TorchScriptMessages::emptyFile(const std::string& fileName)
{
    return fileName + ": the file is empty";
}

std::string TorchScriptMessages::notTorchScript(const std::string& fileName, std::size_t size)
{
    return fileName + ": not a TorchScript file, or a truncated one (" + std::to_string(size) +
           " bytes; a TorchScript file is a zip archive saved with torch.jit.save)";
}

std::string TorchScriptMessages::archiveRefused(const std::string& fileName, std::size_t size,
                                                const ArchiveCheck& check)
{
    switch (check.verdict)
    {
        case ArchiveCheck::Verdict::notAZip:
            return notTorchScript(fileName, size);
        case ArchiveCheck::Verdict::tooLarge:
            return fileName + ": the file is " + check.reason;
        case ArchiveCheck::Verdict::damaged:
        case ArchiveCheck::Verdict::ok:
            break;
    }
    return damagedArchive(fileName, check.reason);
}

std::string TorchScriptMessages::damagedArchive(const std::string& fileName, const std::string& reason)
{
    return fileName + ": a damaged TorchScript archive, refused before LibTorch reads it (" + reason + ")";
}

std::string TorchScriptMessages::checkpointNotTorchScript(const std::string& fileName)
{
    return fileName + ": a PyTorch checkpoint (torch.save), not TorchScript: save the model with "
                      "torch.jit.save(torch.jit.script(model), path)";
}

std::string TorchScriptMessages::zipNotTorchScript(const std::string& fileName)
{
    return fileName + ": a zip archive, but not a TorchScript model (save the model with torch.jit.save)";
}

std::string TorchScriptMessages::forwardMismatch(const std::string& fileName)
{
    return fileName +
           ": forward() must take (x, h, c) and return (y, h, c) (the TorchAmp contract), or take audio x "
           "and return audio";
}

std::string TorchScriptMessages::noSkipAttribute(bool forwardAddsInput)
{
    return std::string("no 'skip' attribute: forward() behaves as skip=") +
           (forwardAddsInput ? "True" : "False");
}

} // namespace torchamp
