// Implicit-GEMM convolution kernels (direct-conv.h). Invariants: row r of the implicit im2col
// matrix is the patch of output pixel r; its tap k = (ky, kx, c) lies at base[r] + off[k] with
// off[k] = ky·inW·inC + kx·inC + c, the same for every row. A row whose window leaves the image is
// copied, zero-padded, into a per-row scratch laid out with that same stride, so the kernels never
// branch on padding. Sums are in float: the forward over taps k = 0..K−1 in order, the filter
// gradient over each tile of kMT pixels, then added into dW tile by tile.
#include "direct-conv.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace nb {

namespace {

constexpr int kMR = 6;     // output pixels per forward micro-tile (6 × 16 floats = 12 ymm accumulators)
constexpr int kKR = 6;     // filter taps per filter-gradient micro-tile
constexpr int64_t kMT = 32;  // pixels per filter-gradient tile: their patches stay in L1/L2

bool cpuHasAvx2Fma() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

struct Rows {
  const ConvGeometry& g;
  int64_t segStride;  // inW·inC: floats between patch rows ky and ky + 1
  std::vector<float> pad;  // kMT rows of fh·segStride floats, for windows that leave the image

  explicit Rows(const ConvGeometry& geo) : g(geo), segStride(geo.inW * geo.inC) {}

  // Base of output pixel m's patch; `slot` picks the scratch row used if it needs padding.
  const float* base(const float* x, int64_t m, int slot) {
    const int64_t P = g.outH * g.outW, n = m / P, p = m % P, oy = p / g.outW, ox = p % g.outW;
    const int64_t iy0 = oy * g.sh - g.padTop, ix0 = ox * g.sw - g.padLeft;
    const float* img = x + n * g.inH * segStride;
    if (iy0 >= 0 && ix0 >= 0 && iy0 + g.fh <= g.inH && ix0 + g.fw <= g.inW) return img + iy0 * segStride + ix0 * g.inC;
    const int64_t rowFloats = g.fh * segStride;
    if (pad.size() < static_cast<size_t>(kMT * rowFloats)) pad.resize(kMT * rowFloats);
    float* d = pad.data() + slot * rowFloats;
    const int64_t C = g.inC;
    for (int64_t ky = 0; ky < g.fh; ky++) {
      float* seg = d + ky * segStride;
      std::memset(seg, 0, g.fw * C * sizeof(float));
      const int64_t iy = iy0 + ky;
      if (iy < 0 || iy >= g.inH) continue;
      const int64_t kx0 = std::max<int64_t>(0, -ix0), kx1 = std::min<int64_t>(g.fw, g.inW - ix0);
      if (kx1 > kx0) std::memcpy(seg + kx0 * C, img + (iy * g.inW + ix0 + kx0) * C, (kx1 - kx0) * C * sizeof(float));
    }
    return d;
  }
};

// Six accumulator rows as named variables (GCC spills an array of __m256 to the stack every step).
#define NB_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

// y[r, n0 .. n0+8·NV) = Σ_k a_r[k] · w[k, n0 ..] for kMR rows (rows ≥ mr duplicate row 0, not stored).
template <int NV>
__attribute__((target("avx2,fma"))) void forwardTile(const float* const* a, int mr, const float* w, int64_t ldw, float* y,
                                                     int64_t ldy, const ConvGeometry& g, int64_t segStride) {
#define NB_DECL(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
  NB_ROWS(NB_DECL)
  const int64_t L = g.fw * g.inC;
  for (int64_t s = 0; s < g.fh; s++) {
    const int64_t o = s * segStride;
    const float *a0 = a[0] + o, *a1 = a[1] + o, *a2 = a[2] + o, *a3 = a[3] + o, *a4 = a[4] + o, *a5 = a[5] + o;
    const float* ws = w + s * L * ldw;
    for (int64_t j = 0; j < L; j++) {
      const __m256 w0 = _mm256_loadu_ps(ws + j * ldw);
      const __m256 w1 = NV == 2 ? _mm256_loadu_ps(ws + j * ldw + 8) : w0;
#define NB_FMA(r)                                     \
  {                                                   \
    const __m256 b = _mm256_broadcast_ss(a##r + j);   \
    c##r##0 = _mm256_fmadd_ps(b, w0, c##r##0);        \
    if (NV == 2) c##r##1 = _mm256_fmadd_ps(b, w1, c##r##1); \
  }
      NB_ROWS(NB_FMA)
    }
  }
#define NB_STORE(r)                                            \
  if (r < mr) {                                                \
    _mm256_storeu_ps(y + r * ldy, c##r##0);                    \
    if (NV == 2) _mm256_storeu_ps(y + r * ldy + 8, c##r##1);   \
  }
  NB_ROWS(NB_STORE)
#undef NB_DECL
#undef NB_FMA
#undef NB_STORE
}

// dw[k0 + i, n0 .. n0+8·NV) += Σ_{m in tile} a_m[off[i]] · dy[m, n0 ..] for kKR taps (kr stored).
template <int NV>
__attribute__((target("avx2,fma"))) void filterTile(const float* const* a, int64_t mt, const int64_t* off, int kr,
                                                    const float* dy, int64_t ldy, float* dw, int64_t ldw) {
#define NB_DECL(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
  NB_ROWS(NB_DECL)
  const int64_t o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5];
  for (int64_t m = 0; m < mt; m++) {
    const __m256 d0 = _mm256_loadu_ps(dy + m * ldy);
    const __m256 d1 = NV == 2 ? _mm256_loadu_ps(dy + m * ldy + 8) : d0;
    const float* am = a[m];
#define NB_FMA(r)                                     \
  {                                                   \
    const __m256 b = _mm256_broadcast_ss(am + o##r);  \
    c##r##0 = _mm256_fmadd_ps(b, d0, c##r##0);        \
    if (NV == 2) c##r##1 = _mm256_fmadd_ps(b, d1, c##r##1); \
  }
    NB_ROWS(NB_FMA)
  }
#define NB_STORE(r)                                                                 \
  if (r < kr) {                                                                     \
    float* p = dw + r * ldw;                                                        \
    _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), c##r##0));                \
    if (NV == 2) _mm256_storeu_ps(p + 8, _mm256_add_ps(_mm256_loadu_ps(p + 8), c##r##1)); \
  }
  NB_ROWS(NB_STORE)
#undef NB_DECL
#undef NB_FMA
#undef NB_STORE
}
#undef NB_ROWS

}  // namespace

bool directConvForward(const float* x, const float* w, float* y, const ConvGeometry& g, const Epilogue& e) {
  const int64_t N = g.outC, M = g.batch * g.outH * g.outW;
  if (!cpuHasAvx2Fma() || N % 8 != 0 || N == 0) return false;
  Rows rows(g);
  const float* a[kMR];
  for (int64_t m0 = 0; m0 < M; m0 += kMR) {
    const int mr = static_cast<int>(std::min<int64_t>(kMR, M - m0));
    for (int r = 0; r < kMR; r++) a[r] = r < mr ? rows.base(x, m0 + r, r) : a[0];
    float* yt = y + m0 * N;
    int64_t n0 = 0;
    for (; n0 + 16 <= N; n0 += 16) forwardTile<2>(a, mr, w + n0, N, yt + n0, N, g, rows.segStride);
    if (n0 < N) forwardTile<1>(a, mr, w + n0, N, yt + n0, N, g, rows.segStride);
    applyEpilogue(yt, mr, N, e);  // while the tile is in L1
  }
  return true;
}

bool directConvBackpropFilter(const float* x, const float* dy, float* dw, const ConvGeometry& g) {
  const int64_t N = g.outC, M = g.batch * g.outH * g.outW, C = g.inC, K = g.fh * g.fw * C;
  if (!cpuHasAvx2Fma() || N % 8 != 0 || N == 0) return false;
  std::memset(dw, 0, K * N * sizeof(float));
  Rows rows(g);
  std::vector<int64_t> offs(K + kKR);
  for (int64_t k = 0; k < K + kKR; k++) {
    const int64_t kk = std::min(k, K - 1);  // past the end: repeat the last tap (computed, not stored)
    offs[k] = (kk / (g.fw * C)) * rows.segStride + kk % (g.fw * C);
  }
  const float* a[kMT];
  for (int64_t m0 = 0; m0 < M; m0 += kMT) {
    const int64_t mt = std::min(kMT, M - m0);
    for (int64_t r = 0; r < mt; r++) a[r] = rows.base(x, m0 + r, static_cast<int>(r));
    const float* dyt = dy + m0 * N;
    for (int64_t k0 = 0; k0 < K; k0 += kKR) {
      const int kr = static_cast<int>(std::min<int64_t>(kKR, K - k0));
      int64_t n0 = 0;
      for (; n0 + 16 <= N; n0 += 16) filterTile<2>(a, mt, offs.data() + k0, kr, dyt + n0, N, dw + k0 * N + n0, N);
      if (n0 < N) filterTile<1>(a, mt, offs.data() + k0, kr, dyt + n0, N, dw + k0 * N + n0, N);
    }
  }
  return true;
}

}  // namespace nb

#else  // not x86: the kernels never apply, im2col + sgemm does everything

namespace nb {
bool directConvForward(const float*, const float*, float*, const ConvGeometry&, const Epilogue&) { return false; }
bool directConvBackpropFilter(const float*, const float*, float*, const ConvGeometry&) { return false; }
}  // namespace nb

#endif
