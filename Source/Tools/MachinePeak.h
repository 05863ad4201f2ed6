#pragma once

namespace torchamp::bench
{

/** What this CPU can do at best, measured: the floor under any LSTM engine's time per sample. */
struct MachinePeak
{
    double ghz = 0;            ///< core clock while busy: a chain of dependent integer adds, one per cycle
    double fmaLanesAvx512 = 0; ///< fp32 multiply-adds per cycle with 512-bit FMAs (0: no AVX-512)
    double fmaLanesAvx2 = 0;   ///< fp32 multiply-adds per cycle with 256-bit FMAs (0: no AVX2/FMA)

    double bestLanes() const { return fmaLanesAvx512 > fmaLanesAvx2 ? fmaLanesAvx512 : fmaLanesAvx2; }

    /// Nanoseconds per sample for the multiply-adds of one LSTM layer step (4H x (inputs + H)),
    /// at the best measured rate: what no engine can beat, before any activation.
    double matVecFloorNs(int hidden, int inputs = 1) const
    {
        const double macs = 4.0 * hidden * (inputs + hidden);
        return bestLanes() > 0 && ghz > 0 ? macs / bestLanes() / ghz : 0.0;
    }
};

/** About a fifth of a second of busy loops, each figure the best of many short bursts so that a
    shared machine's other processes do not lower it (x86-64; zeros elsewhere). */
MachinePeak measureMachinePeak();

} // namespace torchamp::bench
