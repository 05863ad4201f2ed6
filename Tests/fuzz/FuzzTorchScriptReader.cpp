// libFuzzer target: any bytes through the native TorchScript reader (archive check, zip records,
// both pickles, the module tree, tensors, the code parser and the forward recogniser). It must
// never crash, hang, leak or read outside the input; an error starts with the file name, a
// deferral says why, and a contract model is one the engine can be built from.

#include "TorchScriptReader.h"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::vector<char> bytes(reinterpret_cast<const char*>(data),
                                  reinterpret_cast<const char*>(data) + size);
    const auto model = torchamp::readTorchScript(bytes, "fuzz.pt");
    if (!model)
    {
        if (model.error().rfind("fuzz.pt: ", 0) != 0)
            __builtin_trap(); // every message starts with the file name
        return 0;
    }
    if (model->verdict == torchamp::TorchScriptModel::Verdict::notProvable)
    {
        if (model->reason.empty())
            __builtin_trap(); // every deferral says why
        return 0;
    }
    if (!model->spec.validate().empty() || model->form == nullptr)
        __builtin_trap(); // a contract model is one the native engine accepts
    return 0;
}
