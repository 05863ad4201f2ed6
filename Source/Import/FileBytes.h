#pragma once

#include "Result.h"

#include <cstddef>
#include <string>
#include <vector>

namespace torchamp
{

/** Reads a whole file into memory, safely for whatever a user points TorchAmp at: only regular
    files are read (a directory, a FIFO, a device such as /dev/zero or a socket is refused with a
    message, never waited on); a file larger than `maxBytes` is refused from its size in the file
    system, before anything is read; a file that grows or shrinks while it is read is refused.
    Messages start with the file's name. Off the audio thread (and, in the plugin, off the message
    thread: it does I/O). */
Result<std::vector<char>> readFileBytes(const std::string& path, std::size_t maxBytes);

/** The last part of a path: "model.pt" for "/home/me/model.pt". */
std::string fileNameOf(const std::string& path);

} // namespace torchamp
