// N-API surface of the kernels: every tensor is an offset (in floats) into one Float32Array (the
// wasm backend's HEAPF32), checked against its length before any BLAS call touches memory.
#include <dlfcn.h>
#include <napi.h>

#include <string>

#include "kernels.h"

namespace {

struct Heap {
  float* data;
  int64_t length;
};

Heap heapOf(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), "native-blas: argument 0 must be the heap as a Float32Array");
  }
  auto a = info[0].As<Napi::Float32Array>();
  return {a.Data(), static_cast<int64_t>(a.ElementLength())};
}

int64_t num(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "native-blas: argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

// A pointer to heap[off, off + count), or an error naming what did not fit.
float* at(const Napi::CallbackInfo& info, const Heap& h, int64_t off, int64_t count, const char* what) {
  if (off < 0 || count < 0 || off + count > h.length) {
    throw Napi::RangeError::New(info.Env(), std::string("native-blas: ") + what + " [" + std::to_string(off) + ", +" +
                                                std::to_string(count) + ") lies outside the heap of " +
                                                std::to_string(h.length) + " floats");
  }
  return h.data + off;
}

// Arguments first..first+5: biasOff (−1: none), biasLen, activation, alpha, preluOff (−1), preluLen.
nb::Epilogue epilogueOf(const Napi::CallbackInfo& info, const Heap& h, size_t first) {
  nb::Epilogue e;
  const int64_t biasOff = num(info, first), preluOff = num(info, first + 4);
  e.biasLen = num(info, first + 1);
  e.act = static_cast<int>(num(info, first + 2));
  e.alpha = info[first + 3].As<Napi::Number>().FloatValue();
  e.preluLen = num(info, first + 5);
  if (e.act < nb::kLinear || e.act > nb::kSigmoid) throw Napi::RangeError::New(info.Env(), "native-blas: unknown activation code");
  if (biasOff >= 0) e.bias = at(info, h, biasOff, e.biasLen, "bias");
  if (e.act == nb::kPrelu) {
    if (preluOff < 0) throw Napi::TypeError::New(info.Env(), "native-blas: prelu needs its weights");
    e.prelu = at(info, h, preluOff, e.preluLen, "prelu weights");
  }
  return e;
}

// gemm(heap, batch, M, N, K, transA, transB, aOff, aStride, bOff, bStride, cOff, ...epilogue)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t batch = num(info, 1), M = num(info, 2), N = num(info, 3), K = num(info, 4);
  const bool ta = num(info, 5) != 0, tb = num(info, 6) != 0;
  const int64_t aOff = num(info, 7), aStride = num(info, 8), bOff = num(info, 9), bStride = num(info, 10), cOff = num(info, 11);
  const int64_t last = batch > 0 ? batch - 1 : 0;
  const float* a = at(info, h, aOff, last * aStride + M * K, "a");
  const float* b = at(info, h, bOff, last * bStride + K * N, "b");
  float* c = at(info, h, cOff, batch * M * N, "c");
  nb::batchedGemm(a, b, c, batch, M, N, K, ta, tb, aStride, bStride, epilogueOf(info, h, 12));
  return info.Env().Undefined();
}

// conv(heap, op, geometry Int32Array[13], aOff, bOff, outOff, chunkFloats, ...epilogue)
// op 0: y = conv(x = a, w = b); 1: dx from (dy = a, w = b); 2: dW from (x = a, dy = b).
Napi::Value Conv(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t op = num(info, 1);
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().ElementLength() != 13) {
    throw Napi::TypeError::New(info.Env(), "native-blas: geometry must be an Int32Array of 13");
  }
  auto gv = info[2].As<Napi::Int32Array>();
  const nb::ConvGeometry g{gv[0], gv[1], gv[2], gv[3], gv[4], gv[5], gv[6], gv[7], gv[8], gv[9], gv[10], gv[11], gv[12]};
  const int64_t aOff = num(info, 3), bOff = num(info, 4), outOff = num(info, 5), chunk = num(info, 6);
  const int64_t xLen = g.batch * g.inH * g.inW * g.inC, yLen = g.batch * g.outH * g.outW * g.outC;
  const int64_t wLen = g.fh * g.fw * g.inC * g.outC;
  switch (op) {
    case 0:
      nb::conv2dForward(at(info, h, aOff, xLen, "x"), at(info, h, bOff, wLen, "filter"), at(info, h, outOff, yLen, "y"), g,
                        chunk, epilogueOf(info, h, 7));
      break;
    case 1:
      nb::conv2dBackpropInput(at(info, h, aOff, yLen, "dy"), at(info, h, bOff, wLen, "filter"), at(info, h, outOff, xLen, "dx"),
                              g, chunk);
      break;
    case 2:
      nb::conv2dBackpropFilter(at(info, h, aOff, xLen, "x"), at(info, h, bOff, yLen, "dy"), at(info, h, outOff, wLen, "dW"), g,
                               chunk);
      break;
    default:
      throw Napi::RangeError::New(info.Env(), "native-blas: conv op must be 0, 1 or 2");
  }
  return info.Env().Undefined();
}

// columnSums(heap, xOff, rows, cols, outOff)
Napi::Value ColumnSums(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t rows = num(info, 2), cols = num(info, 3);
  nb::columnSums(at(info, h, num(info, 1), rows * cols, "x"), at(info, h, num(info, 4), cols, "out"), rows, cols);
  return info.Env().Undefined();
}

// reluGrad(heap, n, dyOff, yOff, outOff)
Napi::Value ReluGrad(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t n = num(info, 1);
  nb::reluGrad(at(info, h, num(info, 2), n, "dy"), at(info, h, num(info, 3), n, "y"), at(info, h, num(info, 4), n, "out"), n);
  return info.Env().Undefined();
}

// fakeQuant(heap, n, xOff, outOff, scale, offset, levels)
Napi::Value FakeQuantFn(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t n = num(info, 1);
  auto f = [&](size_t i) { return static_cast<float>(info[i].As<Napi::Number>().DoubleValue()); };
  for (size_t i = 4; i <= 6; i++) num(info, i);  // type checks
  nb::fakeQuant(at(info, h, num(info, 2), n, "x"), at(info, h, num(info, 3), n, "out"), n, f(4), f(5), f(6));
  return info.Env().Undefined();
}

// extremes(heap, n, xOff, outOff): out = {min, max}; n > 0.
Napi::Value ExtremesFn(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t n = num(info, 1);
  if (n <= 0) throw Napi::RangeError::New(info.Env(), "extremes: n must be > 0");
  nb::extremes(at(info, h, num(info, 2), n, "x"), n, at(info, h, num(info, 3), 2, "out"));
  return info.Env().Undefined();
}

// squaredErrorSums(heap, n, aOff, bOff, outOff): out = {Σ(a − b)², Σ b²}.
Napi::Value SquaredErrorSumsFn(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t n = num(info, 1);
  nb::squaredErrorSums(at(info, h, num(info, 2), n, "a"), at(info, h, num(info, 3), n, "b"), n, at(info, h, num(info, 4), 2, "out"));
  return info.Env().Undefined();
}

// scaledDifference(heap, n, aOff, bOff, kOff, outOff): out = heap[kOff]·(a − b).
Napi::Value ScaledDifferenceFn(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t n = num(info, 1);
  const float k = *at(info, h, num(info, 4), 1, "k");
  nb::scaledDifference(at(info, h, num(info, 2), n, "a"), at(info, h, num(info, 3), n, "b"), k, at(info, h, num(info, 5), n, "out"), n);
  return info.Env().Undefined();
}

// rmsprop(heap, n, vOff, msOff, momOff, gOff, lr, decay, momentum, epsilon, scale)
Napi::Value RmsPropFn(const Napi::CallbackInfo& info) {
  const Heap h = heapOf(info);
  const int64_t n = num(info, 1);
  auto f = [&](size_t i) { return static_cast<float>(info[i].As<Napi::Number>().DoubleValue()); };
  for (size_t i = 6; i <= 10; i++) num(info, i);  // type checks
  const nb::RmsProp p{f(6), f(7), f(8), f(9), f(10)};
  nb::rmsprop(at(info, h, num(info, 2), n, "variable"), at(info, h, num(info, 3), n, "mean square"),
              at(info, h, num(info, 4), n, "moment"), at(info, h, num(info, 5), n, "gradient"), n, p);
  return info.Env().Undefined();
}

// setDirectConv(on): implicit-GEMM conv kernels where they apply (default) or always im2col + sgemm.
Napi::Value SetDirectConvFn(const Napi::CallbackInfo& info) {
  nb::setDirectConv(num(info, 0) != 0);
  return info.Env().Undefined();
}

// OpenBLAS extensions, looked up at run time so that any CBLAS links.
using SetThreads = void (*)(int);
using GetString = char* (*)();

Napi::Value SetThreadsFn(const Napi::CallbackInfo& info) {
  auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  if (f) f(static_cast<int>(num(info, 0)));
  return Napi::Boolean::New(info.Env(), f != nullptr);
}

Napi::Value Describe(const Napi::CallbackInfo& info) {
  auto config = reinterpret_cast<GetString>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  auto core = reinterpret_cast<GetString>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  std::string s = config ? std::string(config()) : "CBLAS (not OpenBLAS)";
  if (core) s += std::string(", core ") + core();
  return Napi::String::New(info.Env(), s);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("conv", Napi::Function::New(env, Conv));
  exports.Set("columnSums", Napi::Function::New(env, ColumnSums));
  exports.Set("reluGrad", Napi::Function::New(env, ReluGrad));
  exports.Set("rmsprop", Napi::Function::New(env, RmsPropFn));
  exports.Set("fakeQuant", Napi::Function::New(env, FakeQuantFn));
  exports.Set("extremes", Napi::Function::New(env, ExtremesFn));
  exports.Set("squaredErrorSums", Napi::Function::New(env, SquaredErrorSumsFn));
  exports.Set("scaledDifference", Napi::Function::New(env, ScaledDifferenceFn));
  exports.Set("setDirectConv", Napi::Function::New(env, SetDirectConvFn));
  exports.Set("setThreads", Napi::Function::New(env, SetThreadsFn));
  exports.Set("describe", Napi::Function::New(env, Describe));
  return exports;
}

}  // namespace

NODE_API_MODULE(coknight_native_blas, Init)
