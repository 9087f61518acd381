// Convolution forward and filter gradient as an implicit GEMM on AVX2+FMA: the patch of an output
// pixel is read straight from the NHWC input (fh row segments of fw·inC contiguous floats), so no
// im2col matrix is written or packed. Output channels must be a multiple of 8. Both return false,
// touching nothing, when they do not apply (no AVX2/FMA on this CPU, or outC % 8 != 0): the caller
// then uses im2col + sgemm.
#pragma once
#include "kernels.h"

namespace nb {

bool directConvForward(const float* x, const float* w, float* y, const ConvGeometry& g, const Epilogue& e);
bool directConvBackpropFilter(const float* x, const float* dy, float* dw, const ConvGeometry& g);

}  // namespace nb
