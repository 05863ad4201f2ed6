// TorchAmpLibTorch.so's side of Source/Import/LibTorchBackend.h: the backend over TorchModule,
// TorchStream and LibTorchEngine, and the one exported entry point.

#include "LibTorchBackend.h"
#include "LibTorchEngine.h"
#include "TorchModule.h"

namespace torchamp
{

namespace
{

class Model final : public LibTorchModel
{
public:
    explicit Model(std::shared_ptr<const TorchModule> m) : module(std::move(m)) {}

    Signature signature() const override
    {
        switch (module->signature())
        {
            case TorchModule::Signature::contract:
                return Signature::contract;
            case TorchModule::Signature::audioOnly:
                return Signature::audioOnly;
            case TorchModule::Signature::unsupported:
                break;
        }
        return Signature::unsupported;
    }

    Result<ModelSpec> contractSpec(bool& skipKnown) const override { return module->extractSpec(skipKnown); }

    Result<ModelSpec> audioModuleSpec() const override { return module->extractAudioModuleSpec(); }

    Result<std::vector<float>> render(const std::vector<float>& audio, const std::vector<float>& knobs,
                                      int blockSize) const override
    {
        TorchStream stream(module);
        std::vector<float> out(audio.size());
        for (size_t start = 0; start < audio.size(); start += static_cast<size_t>(blockSize))
        {
            const auto n = static_cast<int>(std::min(audio.size() - start, static_cast<size_t>(blockSize)));
            if (auto error = stream.process(audio.data() + start, out.data() + start, n, knobs);
                !error.empty())
                return Result<std::vector<float>>::failure(error);
        }
        return Result<std::vector<float>>::success(std::move(out));
    }

    std::unique_ptr<InferenceEngine> makeEngine(const ModelSpec& spec) const override
    {
        return std::make_unique<LibTorchEngine>(module, spec);
    }

private:
    std::shared_ptr<const TorchModule> module;
};

class Backend final : public LibTorchBackend
{
public:
    std::string version() const override { return TorchModule::libTorchVersion(); }

    Result<std::shared_ptr<LibTorchModel>> load(const std::vector<char>& bytes,
                                                const std::string& displayName, bool strict) const override
    {
        using R = Result<std::shared_ptr<LibTorchModel>>;
        auto module = TorchModule::load(bytes, displayName, strict);
        if (!module)
            return R::failure(module.error());
        std::shared_ptr<const TorchModule> shared(std::move(*module));
        if (shared->signature() == TorchModule::Signature::contract)
        {
            // The LibTorch engine sizes its state from what extractSpec() finds; a module whose
            // contract LibTorch cannot read still loads, and says why when it is asked for its spec.
            bool skipKnown = false;
            (void)shared->extractSpec(skipKnown);
        }
        return R::success(std::make_shared<Model>(std::move(shared)));
    }
};

} // namespace

} // namespace torchamp

extern "C" __attribute__((visibility("default"))) const torchamp::LibTorchBackend*
torchampLibTorchBackend(int interfaceVersion)
{
    static const torchamp::Backend backend;
    return interfaceVersion == torchamp::libTorchInterfaceVersion ? &backend : nullptr;
}
