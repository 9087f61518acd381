// Training kernels on a CBLAS sgemm, computing in place on caller-owned float buffers (for
// Coknight: the tfjs wasm backend's heap). Row-major NHWC throughout, filters [fh, fw, inC, outC].
#pragma once
#include <cstddef>
#include <cstdint>

namespace nb {

// Fused epilogue after a product: y = act(y + bias), per output column (channel).
enum Activation : int { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kLeakyRelu = 4, kPrelu = 5, kSigmoid = 6 };

struct Epilogue {
  const float* bias = nullptr;  // length biasLen: 1 (broadcast) or the column count
  int64_t biasLen = 0;
  int act = kLinear;
  float alpha = 0;                // leakyrelu slope
  const float* prelu = nullptr;  // length preluLen: 1 or the column count
  int64_t preluLen = 0;
};

void applyEpilogue(float* y, int64_t rows, int64_t cols, const Epilogue& e);

// C[b] = op(A[b]) · op(B[b]) for b < batch, op = transpose when the flag is set; A[b] at
// a + b·aStride (stride 0 broadcasts), same for B; C dense [batch, M, N].
void batchedGemm(const float* a, const float* b, float* c, int64_t batch, int64_t M, int64_t N, int64_t K, bool transA,
                 bool transB, int64_t aStride, int64_t bStride, const Epilogue& e);

// out[c] = Σ_r x[r, c] (a bias gradient: reduce every axis but the last), summed in double.
void columnSums(const float* x, float* out, int64_t rows, int64_t cols);
struct RmsProp {
  float lr, decay, momentum, epsilon, scale;
};
// One RMSProp step in place, gradient g scaled by p.scale first (global-norm clipping):
// ms = decay·ms + (1−decay)·g²; mom = momentum·mom + lr·g/√(ms + ε); v −= mom.
void rmsprop(float* v, float* ms, float* mom, const float* g, int64_t n, const RmsProp& p);
// out = dy where y > 0, else 0 (the ReLU gradient through its output).
void reluGrad(const float* dy, const float* y, float* out, int64_t n);

// The feature codec's training ops (src/codec/training-ops.ts), one pass each.
// out = clamp(round_half_even((x − offset)/scale), 0, levels)·scale + offset (NaN stays NaN).
void fakeQuant(const float* x, float* out, int64_t n, float scale, float offset, float levels);
// out = {min x, max x} (n > 0).
void extremes(const float* x, int64_t n, float* out);
// out = {Σ(a − b)², Σ b²}, summed in double.
void squaredErrorSums(const float* a, const float* b, int64_t n, float* out);
// out = k·(a − b).
void scaledDifference(const float* a, const float* b, float k, float* out, int64_t n);

struct ConvGeometry {
  int64_t batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, padTop, padLeft;
};

// Forward conv and filter gradient use the implicit-GEMM kernels (direct-conv.h) where they apply
// unless switched off (tests and benchmarks compare both paths); default on.
void setDirectConv(bool on);
bool directConvEnabled();

// y = act(conv(x, w) + bias): im2col per chunk of images, one sgemm per chunk.
void conv2dForward(const float* x, const float* w, float* y, const ConvGeometry& g, int64_t chunkFloats, const Epilogue& e);
// dx = col2im(dy · Wᵀ).
void conv2dBackpropInput(const float* dy, const float* w, float* dx, const ConvGeometry& g, int64_t chunkFloats);
// dW = Σ im2col(x)ᵀ · dy.
void conv2dBackpropFilter(const float* x, const float* dy, float* dw, const ConvGeometry& g, int64_t chunkFloats);

}  // namespace nb
