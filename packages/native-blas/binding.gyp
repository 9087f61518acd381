{
  "targets": [
    {
      "target_name": "coknight_native_blas",
      "sources": ["src/addon.cc", "src/kernels.cc", "src/direct-conv.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-fexceptions", "-O3", "-std=c++17"],
      "libraries": ["<!@(node scripts/cblas-flags.mjs --libs)"],
      "cflags": ["<!@(node scripts/cblas-flags.mjs --cflags)"]
    }
  ]
}
