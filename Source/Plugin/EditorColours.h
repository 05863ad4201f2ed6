#pragma once

#include <juce_graphics/juce_graphics.h>

namespace torchamp::editorColours
{

inline const juce::Colour background{0xff1d2026};
inline const juce::Colour panel{0xff272b33};
inline const juce::Colour accent{0xffe8a33d};
inline const juce::Colour text{0xffe6e6e6};
inline const juce::Colour dimText{0xff9aa0aa};
inline const juce::Colour error{0xffff6b6b};
inline const juce::Colour meter{0xff5cc97b};

} // namespace torchamp::editorColours
