// GFLOP/s of the conv kernels at the nets' shapes × 672 images, implicit GEMM against im2col +
// sgemm on the same inputs (and their max relative difference), plus a 1024³ sgemm for scale.
// One thread. Build and run from packages/native-blas:
//   g++ -O3 -std=c++17 bench/conv-shapes.cc src/kernels.cc src/direct-conv.cc -lopenblas -o /tmp/conv-shapes && /tmp/conv-shapes
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../src/kernels.h"

using nb::ConvGeometry;

static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

static double maxRel(const std::vector<float>& ref, const std::vector<float>& got) {
  double r = 0, d = 0;
  for (size_t i = 0; i < ref.size(); i++) r = std::max(r, double(std::fabs(ref[i]))), d = std::max(d, double(std::fabs(ref[i] - got[i])));
  return d / r;
}

static void run(const char* name, const ConvGeometry& g) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(g.batch * g.inH * g.inW * g.inC), w(g.fh * g.fw * g.inC * g.outC), y(g.batch * g.outH * g.outW * g.outC);
  for (auto& v : x) v = u(rng);
  for (auto& v : w) v = u(rng);
  std::vector<float> y2(y.size()), dw(w.size()), dw2(w.size());
  const double flops = 2.0 * y.size() * g.fh * g.fw * g.inC;
  const nb::Epilogue e;
  for (int rep = 0; rep < 3; rep++) {
    nb::setDirectConv(false);
    double t = now();
    nb::conv2dForward(x.data(), w.data(), y.data(), g, 1 << 16, e);
    const double f0 = now() - t;
    t = now();
    nb::conv2dBackpropFilter(x.data(), y.data(), dw.data(), g, 1 << 16);
    const double b0 = now() - t;
    nb::setDirectConv(true);
    t = now();
    nb::conv2dForward(x.data(), w.data(), y2.data(), g, 1 << 16, e);
    const double f1 = now() - t;
    t = now();
    nb::conv2dBackpropFilter(x.data(), y.data(), dw2.data(), g, 1 << 16);
    const double b1 = now() - t;
    std::printf("%-8s forward im2col %5.1f, implicit %5.1f GFLOP/s (rel diff %.1e) | filter grad im2col %5.1f, implicit %5.1f (%.1e)\n", name,
                flops / f0 / 1e9, flops / f1 / 1e9, maxRel(y, y2), flops / b0 / 1e9, flops / b1 / 1e9, maxRel(dw, dw2));
  }
}

int main() {
  openblas_set_num_threads(1);
  run("impala1", {672, 84, 84, 4, 20, 20, 16, 8, 8, 4, 4, 0, 0});
  run("impala2", {672, 20, 20, 16, 9, 9, 32, 4, 4, 2, 2, 0, 0});
  run("minatar", {672, 10, 10, 4, 8, 8, 16, 3, 3, 1, 1, 0, 0});
  const int n = 1024;
  std::vector<float> a(n * n, 1), b(n * n, 1), c(n * n);
  const double t = now();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a.data(), n, b.data(), n, 0, c.data(), n);
  std::printf("sgemm 1024³ %.1f GFLOP/s\n", 2.0 * n * n * n / (now() - t) / 1e9);
}
