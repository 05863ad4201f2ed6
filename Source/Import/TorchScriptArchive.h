#pragma once

#include "ContractRules.h"
#include "TorchScriptCode.h"
#include "Unpickler.h"
#include "ZipArchive.h"

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace torchamp
{

/** The native reader cannot prove that a file is a contract model: LibTorch may still read it.
    what() says why, for the user, without the file name. */
class NotProvableNatively : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/** A file no reader can play; what() is the whole message, starting with the file name. */
class ModelFileError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/** A module of a TorchScript archive: an object of data.pkl whose class is a Module. */
struct ScriptModule
{
    std::string typeName;            ///< its class, qualified and mangled as in the archive
    const CodeClass* code = nullptr; ///< the class's code
    /// Its state, attribute name to value in TorchScriptArchive::data(), in declaration order.
    std::vector<std::pair<std::string, std::size_t>> attributes;
    /// Its submodules: attribute name to index in TorchScriptArchive::modules().
    std::vector<std::pair<std::string, std::size_t>> children;

    /// The value of attribute `name` in data(), or null.
    const std::size_t* findAttribute(const std::string& name) const;
};

/** A TorchScript archive (torch.jit.save, PyTorch 1.x and 2.x) as the native reader sees it:
    the archive folder and format version, the module object of data.pkl with its submodules,
    the classes of `code/`, and the tensors of `data/`. Every storage data.pkl and constants.pkl
    name must be a record of exactly its declared size, and every tensor view must lie inside its
    storage. Reads, never runs: no code is executed and no name in a pickle is imported.

    Construction throws ModelFileError (a message for the user) or NotProvableNatively (a layout
    this reader does not know). Plain C++; any thread but the audio thread. */
class TorchScriptArchive
{
public:
    /// Reads `zip` (which passed ArchiveCheck); `displayName` starts every message.
    TorchScriptArchive(const ZipArchive& zip, std::string displayName);

    /// The archive's file format version (record `.data/version`, or `version` as writers before
    /// format 6 name it). A version above LibTorch 1.13's 10 is read like any other: the layout,
    /// not the number, decides.
    std::uint64_t formatVersion() const noexcept { return version; }

    const PickleGraph& data() const noexcept { return dataValues; }

    /// Every module, the top one first, then depth first in declaration order.
    const std::vector<ScriptModule>& modules() const noexcept { return moduleList; }

    /// A tensor value of data(): its shape now, its values on demand, converted to float in
    /// row-major order (float32 exactly, float64 rounded to nearest). Throws NotProvableNatively
    /// for other types. The values read from this archive, which must outlive the tensor.
    ModuleTensor readTensor(std::size_t value, const std::string& name) const;

    /// A value of data() converted for ContractRules (lists item by item, within a budget).
    AttributeValue attributeValue(std::size_t value) const;

private:
    std::string recordPath(const std::string& name) const { return folder + name; }
    std::string_view readRecord(const std::string& name, std::vector<char>& scratch) const;
    void readLayout();
    PickleGraph readPickle(const std::string& name) const;
    void checkStorages(const PickleGraph& graph, const std::string& tensorFolder) const;
    const CodeClass* findClass(const std::string& qualifiedName);
    std::size_t addModule(std::size_t object, int depth);
    AttributeValue convert(std::size_t value, int depth, std::size_t& budget) const;
    std::vector<float> tensorValues(std::size_t value, std::uint64_t count) const;

    const ZipArchive& zip;
    std::string displayName;
    std::string folder; ///< "name/": the folder every record lives in
    std::uint64_t version = 0;
    PickleGraph dataValues;
    std::map<std::string, std::unique_ptr<CodeFile>> codeFiles;
    std::vector<ScriptModule> moduleList;
};

} // namespace torchamp
