#include "kernels.h"

#include "direct-conv.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace nb {

namespace {

// One scratch buffer for im2col / col, reused across calls (JS calls us from one thread).
std::vector<float>& scratch(size_t n) {
  static std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf;
}

// The bias branch is hoisted out of the element loop so that the loop vectorises (with a
// branch-free f such as std::max: a `v > 0 ? v : 0` stays a branch without AVX, and ReLU inputs
// are half negative, so it mispredicted its way to as long as the conv itself).
template <typename F>
void mapRows(float* y, int64_t rows, int64_t cols, const Epilogue& e, F f) {
  const float* bias = e.bias;
  for (int64_t r = 0; r < rows; r++) {
    float* __restrict row = y + r * cols;
    if (bias == nullptr) {
      for (int64_t c = 0; c < cols; c++) row[c] = f(row[c], c);
    } else if (e.biasLen == 1) {
      const float b0 = bias[0];
      for (int64_t c = 0; c < cols; c++) row[c] = f(row[c] + b0, c);
    } else {
      for (int64_t c = 0; c < cols; c++) row[c] = f(row[c] + bias[c], c);
    }
  }
}

// Rows (output pixels) per chunk: im2col of a chunk stays in cache for the sgemm that reads it.
int64_t rowsPerChunk(int64_t K, int64_t chunkFloats, int64_t rows) {
  return std::max<int64_t>(1, std::min<int64_t>(rows, std::max<int64_t>(64, chunkFloats / std::max<int64_t>(1, K))));
}

bool isPointwise(const ConvGeometry& g) {
  return g.fh == 1 && g.fw == 1 && g.sh == 1 && g.sw == 1 && g.padTop == 0 && g.padLeft == 0 && g.outH == g.inH &&
         g.outW == g.inW;
}

// Walks output rows m in [m0, m1), m = (image, oy, ox), calling f(m - m0, image, iy0, ix0, kx0, kx1).
template <typename F>
void forRows(const ConvGeometry& g, int64_t m0, int64_t m1, F f) {
  const int64_t P = g.outH * g.outW;
  int64_t n = m0 / P, p = m0 % P, oy = p / g.outW, ox = p % g.outW;
  for (int64_t m = m0; m < m1; m++) {
    const int64_t iy0 = oy * g.sh - g.padTop, ix0 = ox * g.sw - g.padLeft;
    f(m - m0, n, iy0, ix0, std::max<int64_t>(0, -ix0), std::min<int64_t>(g.fw, g.inW - ix0));
    if (++ox == g.outW) {
      ox = 0;
      if (++oy == g.outH) oy = 0, n++;
    }
  }
}

// col[m − m0, (ky, kx, c)] for output rows [m0, m1); zero where a tap falls in the padding.
void im2col(const float* x, float* col, const ConvGeometry& g, int64_t m0, int64_t m1) {
  const int64_t C = g.inC, rowLen = g.fw * C, K = g.fh * rowLen, img = g.inH * g.inW * C;
  forRows(g, m0, m1, [&](int64_t r, int64_t n, int64_t iy0, int64_t ix0, int64_t kx0, int64_t kx1) {
    float* dst = col + r * K;
    const float* src = x + n * img;
    for (int64_t ky = 0; ky < g.fh; ky++) {
      float* d = dst + ky * rowLen;
      const int64_t iy = iy0 + ky;
      if (iy < 0 || iy >= g.inH || kx1 <= kx0) {
        std::memset(d, 0, rowLen * sizeof(float));
        continue;
      }
      if (kx0 > 0) std::memset(d, 0, kx0 * C * sizeof(float));
      std::memcpy(d + kx0 * C, src + (iy * g.inW + ix0 + kx0) * C, (kx1 - kx0) * C * sizeof(float));
      if (kx1 < g.fw) std::memset(d + kx1 * C, 0, (g.fw - kx1) * C * sizeof(float));
    }
  });
}

// dx[image, iy, ix, c] += col[m − m0, (ky, kx, c)] over the in-image taps: the adjoint of im2col.
void col2imAdd(const float* col, float* dx, const ConvGeometry& g, int64_t m0, int64_t m1) {
  const int64_t C = g.inC, rowLen = g.fw * C, K = g.fh * rowLen, img = g.inH * g.inW * C;
  forRows(g, m0, m1, [&](int64_t r, int64_t n, int64_t iy0, int64_t ix0, int64_t kx0, int64_t kx1) {
    if (kx1 <= kx0) return;
    const float* src = col + r * K;
    float* dst = dx + n * img;
    const int64_t len = (kx1 - kx0) * C;
    for (int64_t ky = 0; ky < g.fh; ky++) {
      const int64_t iy = iy0 + ky;
      if (iy < 0 || iy >= g.inH) continue;
      const float* s = src + ky * rowLen + kx0 * C;
      float* d = dst + (iy * g.inW + ix0 + kx0) * C;
      for (int64_t i = 0; i < len; i++) d[i] += s[i];
    }
  });
}

}  // namespace

static bool gDirectConv = true;
void setDirectConv(bool on) { gDirectConv = on; }
bool directConvEnabled() { return gDirectConv; }

void applyEpilogue(float* y, int64_t rows, int64_t cols, const Epilogue& e) {
  switch (e.act) {
    case kLinear:
      if (e.bias) mapRows(y, rows, cols, e, [](float v, int64_t) { return v; });
      break;
    case kRelu:
      mapRows(y, rows, cols, e, [](float v, int64_t) { return std::max(0.0f, v); });  // NaN → 0, as before
      break;
    case kRelu6:
      mapRows(y, rows, cols, e, [](float v, int64_t) { return std::min(6.0f, std::max(0.0f, v)); });
      break;
    case kElu:
      mapRows(y, rows, cols, e, [](float v, int64_t) { return v >= 0 ? v : std::exp(v) - 1.0f; });
      break;
    case kLeakyRelu: {
      const float a = e.alpha;
      mapRows(y, rows, cols, e, [a](float v, int64_t) { return v < 0 ? a * v : v; });
      break;
    }
    case kPrelu: {
      const float* p = e.prelu;
      const bool one = e.preluLen == 1;
      mapRows(y, rows, cols, e, [p, one](float v, int64_t c) { return v < 0 ? p[one ? 0 : c] * v : v; });
      break;
    }
    case kSigmoid:
      mapRows(y, rows, cols, e, [](float v, int64_t) { return 1.0f / (1.0f + std::exp(-v)); });
      break;
  }
}

void batchedGemm(const float* a, const float* b, float* c, int64_t batch, int64_t M, int64_t N, int64_t K, bool transA,
                 bool transB, int64_t aStride, int64_t bStride, const Epilogue& e) {
  for (int64_t i = 0; i < batch; i++) {
    float* ci = c + i * M * N;
    if (K == 0) {
      std::memset(ci, 0, M * N * sizeof(float));
    } else {
      cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, 1.0f,
                  a + i * aStride, transA ? M : K, b + i * bStride, transB ? K : N, 0.0f, ci, N);
    }
    applyEpilogue(ci, M, N, e);
  }
}

// A bit mask rather than `y > 0 ? dy : 0`: without AVX the compiler keeps that as a branch, which
// half-zero ReLU outputs mispredict (27 ms against 4 ms on an IMPALA conv1 output); the mask vectorises on SSE2.
void reluGrad(const float* __restrict dy, const float* __restrict y, float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    uint32_t d;
    const uint32_t m = y[i] > 0.0f ? 0xffffffffu : 0u;
    std::memcpy(&d, dy + i, 4);
    d &= m;
    std::memcpy(out + i, &d, 4);
  }
}

// Rounds t in [0, 2^22) to the nearest integer, ties to even, as tf.round does: adding 1.5·2^23
// leaves no fraction bits in the sum. Vectorises, unlike std::nearbyint without SSE4.1.
static inline float roundHalfEven(float t) {
  const float magic = 12582912.0f;
  return (t + magic) - magic;
}

void fakeQuant(const float* __restrict x, float* __restrict out, int64_t n, float scale, float offset, float levels) {
  // Clamping before rounding gives the same codes as after (the bounds are integers) and keeps the
  // argument in roundHalfEven's range; a NaN stays NaN.
  const float inv = 1.0f / scale;
  for (int64_t i = 0; i < n; i++) {
    const float t = (x[i] - offset) * inv;
    out[i] = roundHalfEven(t < 0.0f ? 0.0f : t > levels ? levels : t) * scale + offset;
  }
}

// Independent lanes so that the reductions below vectorise without -ffast-math.
constexpr int kLanes = 8;

void extremes(const float* __restrict x, int64_t n, float* out) {
  float lo[kLanes], hi[kLanes];
  int nan[kLanes] = {};
  for (int l = 0; l < kLanes; l++) lo[l] = hi[l] = x[0];
  const int64_t whole = n / kLanes * kLanes;
  for (int64_t i = 0; i < whole; i += kLanes) {
    for (int l = 0; l < kLanes; l++) {
      const float v = x[i + l];
      lo[l] = v < lo[l] ? v : lo[l];
      hi[l] = v > hi[l] ? v : hi[l];
      nan[l] |= v != v;
    }
  }
  float a = lo[0], b = hi[0];
  bool anyNan = false;
  for (int l = 0; l < kLanes; l++) {
    a = lo[l] < a ? lo[l] : a;
    b = hi[l] > b ? hi[l] : b;
    anyNan = anyNan || nan[l] != 0;
  }
  for (int64_t i = whole; i < n; i++) {
    a = x[i] < a ? x[i] : a;
    b = x[i] > b ? x[i] : b;
    anyNan = anyNan || x[i] != x[i];
  }
  // a NaN anywhere makes the range NaN, as tf.min/tf.max do: the caller rejects it
  out[0] = anyNan ? NAN : a;
  out[1] = anyNan ? NAN : b;
}

void squaredErrorSums(const float* __restrict a, const float* __restrict b, int64_t n, float* out) {
  // float lanes over blocks of 1024, each block's sums added in double
  double se = 0, e = 0;
  for (int64_t start = 0; start < n; start += 1024) {
    const int64_t end = std::min<int64_t>(n, start + 1024);
    float s1[kLanes] = {}, s2[kLanes] = {};
    int64_t i = start;
    for (; i + kLanes <= end; i += kLanes) {
      for (int l = 0; l < kLanes; l++) {
        const float d = a[i + l] - b[i + l];
        s1[l] += d * d;
        s2[l] += b[i + l] * b[i + l];
      }
    }
    for (; i < end; i++) {
      const float d = a[i] - b[i];
      s1[0] += d * d;
      s2[0] += b[i] * b[i];
    }
    for (int l = 0; l < kLanes; l++) {
      se += s1[l];
      e += s2[l];
    }
  }
  out[0] = static_cast<float>(se);
  out[1] = static_cast<float>(e);
}

void scaledDifference(const float* __restrict a, const float* __restrict b, float k, float* __restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = k * (a[i] - b[i]);
}

void rmsprop(float* __restrict v, float* __restrict ms, float* __restrict mom, const float* __restrict g, int64_t n, const RmsProp& p) {
  // The order of tf.RMSPropOptimizer's ops, so float results agree with it.
  const float keep = p.decay, add = 1.0f - p.decay;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i] * p.scale;
    const float m = ms[i] * keep + gi * gi * add;
    const float mo = mom[i] * p.momentum + (gi * p.lr) / std::sqrt(m + p.epsilon);
    ms[i] = m;
    mom[i] = mo;
    v[i] -= mo;
  }
}

void columnSums(const float* x, float* out, int64_t rows, int64_t cols) {
  std::vector<double> acc(cols, 0.0);
  for (int64_t r = 0; r < rows; r++) {
    const float* row = x + r * cols;
    for (int64_t c = 0; c < cols; c++) acc[c] += row[c];
  }
  for (int64_t c = 0; c < cols; c++) out[c] = static_cast<float>(acc[c]);
}

void conv2dForward(const float* x, const float* w, float* y, const ConvGeometry& g, int64_t chunkFloats, const Epilogue& e) {
  const int64_t K = g.fh * g.fw * g.inC, P = g.outH * g.outW, Co = g.outC;
  if (isPointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g.batch * P, Co, K, 1.0f, x, K, w, Co, 0.0f, y, Co);
    applyEpilogue(y, g.batch * P, Co, e);
    return;
  }
  if (directConvEnabled() && directConvForward(x, w, y, g, e)) return;
  const int64_t M = g.batch * P, step = rowsPerChunk(K, chunkFloats, M);
  float* col = scratch(step * K).data();
  for (int64_t m0 = 0; m0 < M; m0 += step) {
    const int64_t Mc = std::min(step, M - m0);
    im2col(x, col, g, m0, m0 + Mc);
    float* yc = y + m0 * Co;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Mc, Co, K, 1.0f, col, K, w, Co, 0.0f, yc, Co);
    applyEpilogue(yc, Mc, Co, e);  // while the chunk is still in cache
  }
}

void conv2dBackpropInput(const float* dy, const float* w, float* dx, const ConvGeometry& g, int64_t chunkFloats) {
  const int64_t K = g.fh * g.fw * g.inC, P = g.outH * g.outW, Co = g.outC;
  if (isPointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g.batch * P, K, Co, 1.0f, dy, Co, w, Co, 0.0f, dx, K);
    return;
  }
  std::memset(dx, 0, g.batch * g.inH * g.inW * g.inC * sizeof(float));
  const int64_t M = g.batch * P, step = rowsPerChunk(K, chunkFloats, M);
  float* col = scratch(step * K).data();
  for (int64_t m0 = 0; m0 < M; m0 += step) {
    const int64_t Mc = std::min(step, M - m0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Mc, K, Co, 1.0f, dy + m0 * Co, Co, w, Co, 0.0f, col, K);
    col2imAdd(col, dx, g, m0, m0 + Mc);
  }
}

void conv2dBackpropFilter(const float* x, const float* dy, float* dw, const ConvGeometry& g, int64_t chunkFloats) {
  const int64_t K = g.fh * g.fw * g.inC, P = g.outH * g.outW, Co = g.outC;
  if (g.batch * P == 0) {
    std::memset(dw, 0, K * Co * sizeof(float));
    return;
  }
  if (isPointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, Co, g.batch * P, 1.0f, x, K, dy, Co, 0.0f, dw, Co);
    return;
  }
  if (directConvEnabled() && directConvBackpropFilter(x, dy, dw, g)) return;
  const int64_t M = g.batch * P, step = rowsPerChunk(K, chunkFloats, M);
  float* col = scratch(step * K).data();
  for (int64_t m0 = 0; m0 < M; m0 += step) {
    const int64_t Mc = std::min(step, M - m0);
    im2col(x, col, g, m0, m0 + Mc);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, Co, Mc, 1.0f, col, K, dy + m0 * Co, Co, m0 == 0 ? 0.0f : 1.0f, dw, Co);
  }
}

}  // namespace nb
