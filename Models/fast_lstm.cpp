// One LSTM layer's forward and backward pass over a whole chunk, for training (Models/fast_lstm.py).
//
// PyTorch 1.13 runs nn.LSTM on the CPU as a dozen small operators per time step, each with its
// autograd bookkeeping; at the sizes TorchAmp trains (batch 48, hidden 32, 512 steps) that
// overhead, not arithmetic, sets the pace. Here each step is two small matrix products and a
// few element-wise passes, and the weight gradients are one product over the whole chunk.
//
// Layouts (all float32, row-major, contiguous): x [B, T, I]; h0, c0 [B, H]; w_ih [4H, I];
// w_hh [4H, H]; bias [4H] (b_ih + b_hh); y [B, T, H]. Gate order i, f, g, o as in PyTorch.
// Saved for the backward pass: gates [T, B, 4H] (activations), cells [T + 1, B, H] (c0 first),
// tanh_cells [T, B, H]. Plain C entry points, loaded with ctypes.

#include <Eigen/Dense>

#include <vector>

namespace
{
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Strided = Eigen::Map<Matrix, 0, Eigen::OuterStride<>>;
using ConstStrided = Eigen::Map<const Matrix, 0, Eigen::OuterStride<>>;
using View = Eigen::Map<Matrix>;
using ConstView = Eigen::Map<const Matrix>;
using Row = Eigen::Array<float, 1, Eigen::Dynamic>;

// Row t of a batch-first [B, T, width] tensor: B rows, `width` wide, T * width apart.
ConstStrided stepOf (const float* data, int t, int B, int T, int width)
{
    return { data + static_cast<std::ptrdiff_t> (t) * width, B, width, Eigen::OuterStride<> (T * width) };
}

Strided stepOf (float* data, int t, int B, int T, int width)
{
    return { data + static_cast<std::ptrdiff_t> (t) * width, B, width, Eigen::OuterStride<> (T * width) };
}
} // namespace

extern "C" {

// Forward over T steps. gates, cells and tanh_cells may be null (inference: nothing saved).
void torchamp_lstm_forward (int T, int B, int I, int H, const float* x, const float* h0, const float* c0,
                            const float* w_ih, const float* w_hh, const float* bias, float* y,
                            float* gates, float* cells, float* tanh_cells, float* h_out, float* c_out)
{
    const int G = 4 * H;
    // sigma(z) = (tanh(z / 2) + 1) / 2, so one tanh over all four gates serves them all: the
    // i, f, o rows of the weights are halved here and the results mapped back with scale + shift.
    Row scale = Row::Constant (G, 0.5f);
    scale.segment (2 * H, H).setOnes();
    const Row shift = 1.0f - scale;
    const Matrix wIhT = (ConstView (w_ih, G, I).array().colwise() * scale.transpose()).matrix().transpose();
    const Matrix wHhT = (ConstView (w_hh, G, H).array().colwise() * scale.transpose()).matrix().transpose();
    // Bias, scale and shift as whole [B, 4H] matrices: Eigen's row-wise broadcasts are not
    // vectorised and cost ten times the tanh.
    const Matrix b = (Eigen::Map<const Row> (bias, G) * scale).matrix().replicate (B, 1);
    const Matrix scales = scale.matrix().replicate (B, 1), shifts = shift.matrix().replicate (B, 1);

    Matrix h = ConstView (h0, B, H), c = ConstView (c0, B, H), a (B, G), tc (B, H);
    if (cells != nullptr)
        View (cells, B, H) = c;
    for (int t = 0; t < T; ++t)
    {
        a = b;
        a.noalias() += h * wHhT;
        a.noalias() += stepOf (x, t, B, T, I) * wIhT;
        a.array() = a.array().tanh() * scales.array() + shifts.array();
        c.array() = a.middleCols (H, H).array() * c.array() + a.leftCols (H).array() * a.middleCols (2 * H, H).array();
        tc.array() = c.array().tanh();
        h.array() = a.rightCols (H).array() * tc.array();
        stepOf (y, t, B, T, H) = h;
        if (gates != nullptr)
        {
            const std::ptrdiff_t step = static_cast<std::ptrdiff_t> (t) * B;
            View (gates + step * G, B, G) = a;
            View (cells + (step + B) * H, B, H) = c;
            View (tanh_cells + step * H, B, H) = tc;
        }
    }
    View (h_out, B, H) = h;
    View (c_out, B, H) = c;
}

// Backward over the same T steps. dy, dh_in, dc_in may be null (zero). Weight gradients are
// written (not accumulated); dx may be null when the input needs no gradient.
void torchamp_lstm_backward (int T, int B, int I, int H, const float* x, const float* h0,
                             const float* w_ih, const float* w_hh, const float* gates,
                             const float* cells, const float* tanh_cells, const float* y,
                             const float* dy, const float* dh_in, const float* dc_in,
                             float* dw_ih, float* dw_hh, float* dbias, float* dx, float* dh0, float* dc0)
{
    const int G = 4 * H;
    const std::ptrdiff_t rows = static_cast<std::ptrdiff_t> (T) * B;
    Matrix dh = dh_in != nullptr ? Matrix (ConstView (dh_in, B, H)) : Matrix::Zero (B, H);
    Matrix dc = dc_in != nullptr ? Matrix (ConstView (dc_in, B, H)) : Matrix::Zero (B, H);
    Matrix dz (rows, G), tmp (B, H);
    const ConstView wHh (w_hh, G, H);

    for (int t = T - 1; t >= 0; --t)
    {
        const std::ptrdiff_t step = static_cast<std::ptrdiff_t> (t) * B;
        const ConstView a (gates + step * G, B, G);
        const ConstView cPrev (cells + step * H, B, H);
        const ConstView tc (tanh_cells + step * H, B, H);
        if (dy != nullptr)
            dh += stepOf (dy, t, B, T, H);
        const auto i = a.leftCols (H).array(), f = a.middleCols (H, H).array(),
                   g = a.middleCols (2 * H, H).array(), o = a.rightCols (H).array();
        dc.array() += dh.array() * o * (1.0f - tc.array().square());
        auto d = dz.middleRows (step, B);
        d.leftCols (H).array() = dc.array() * g * i * (1.0f - i);
        d.middleCols (H, H).array() = dc.array() * cPrev.array() * f * (1.0f - f);
        d.middleCols (2 * H, H).array() = dc.array() * i * (1.0f - g.square());
        d.rightCols (H).array() = dh.array() * tc.array() * o * (1.0f - o);
        dc.array() *= f;
        dh.noalias() = d * wHh;
    }

    // Every step's input and previous output, time-major like dz, for one product each.
    Matrix inputs (rows, I), previous (rows, H);
    for (int t = 0; t < T; ++t)
    {
        inputs.middleRows (static_cast<std::ptrdiff_t> (t) * B, B) = stepOf (x, t, B, T, I);
        if (t == 0)
            previous.topRows (B) = ConstView (h0, B, H);
        else
            previous.middleRows (static_cast<std::ptrdiff_t> (t) * B, B) = stepOf (y, t - 1, B, T, H);
    }
    View (dw_hh, G, H).noalias() = dz.transpose() * previous;
    View (dw_ih, G, I).noalias() = dz.transpose() * inputs;
    Eigen::Map<Row> (dbias, G) = dz.colwise().sum().array();
    if (dx != nullptr)
    {
        const Matrix dInputs = dz * ConstView (w_ih, G, I);
        for (int t = 0; t < T; ++t)
            stepOf (dx, t, B, T, I) = dInputs.middleRows (static_cast<std::ptrdiff_t> (t) * B, B);
    }
    View (dh0, B, H) = dh;
    View (dc0, B, H) = dc;
}

} // extern "C"
