#pragma once

#include "ContractRules.h"
#include "TorchScriptArchive.h"

#include <string>

namespace torchamp
{

/** How a recognised forward() adds the audio input to its output. */
enum class SkipForm
{
    byAttribute, ///< `if self.<flag>: y = y + x[:, :, 0:1]`, the flag a bool attribute
    always,      ///< `y = head(out) + x[:, :, 0:1]`
    never        ///< `y = head(out)`
};

/** How a recognised forward() returns the LSTM's state. */
enum class StateForm
{
    flat,  ///< return (y, h, c)
    nested ///< return (y, (h, c)), as nn.LSTM itself does
};

/** One form of forward() the native reader proves equal to LSTM + Linear head (+ skip). */
struct RecognisedForm
{
    SkipForm skip;
    StateForm state;
    const char* description;
};

/** What a recognised forward() computes. */
struct RecognisedForward
{
    const RecognisedForm* form = nullptr;
    bool skip = false;         ///< the output adds the audio input
    std::string skipAttribute; ///< SkipForm::byAttribute: the attribute forward() tests
};

/** Proves, without running anything, that a module's forward(x, h, c) computes exactly what the
    native engine computes: its contract LSTM on (x, (h, c)), its Linear head on the LSTM's
    output, optionally plus x[:, :, 0:1], returning the output and the LSTM's new state. The
    printed TorchScript of forward() is evaluated symbolically, statement by statement: every
    call must be the LSTM's forward, the head's forward, torch.slice of x or torch.add of the two
    results; every branch must test a bool attribute, whose stored value picks the branch
    (`training` is False: models play in eval mode).
    The LSTM's own code must call torch.lstm with the module's weights, its layer count, bias,
    not bidirectional and batch_first; the head's must be torch.linear(input, weight, bias).

    The forms it accepts are forms(): every SkipForm with every StateForm, whatever the names of
    the submodules, attributes and variables. Anything else (another operation, another module,
    a loop, a print) throws NotProvableNatively saying what: the LibTorch path decides those.

    Plain C++; any thread but the audio thread. */
class ForwardRecogniser
{
public:
    /// The table of recognised forms (README, "The model file contract").
    static const std::vector<RecognisedForm>& forms();

    /// Recognises the top module's forward(); `contract` is what ContractRules read from it
    /// (its LSTM and head are the modules forward() must use). Throws NotProvableNatively.
    static RecognisedForward recognise(const TorchScriptArchive& archive, const ContractInput& input,
                                       const ContractSpec& contract);
};

} // namespace torchamp
