#pragma once

#include <string>

namespace torchamp
{

/** The folder, ending in '/', of the binary this code is part of: the plugin's shared object inside
    its bundle (TorchAmp.vst3/Contents/x86_64-linux/, TorchAmp.lv2/), or the executable's folder for
    the Standalone app and the tools (symbolic links resolved). Empty when it cannot be found.
    Off the audio thread. */
std::string folderOfThisBinary();

} // namespace torchamp
