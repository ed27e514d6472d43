// cuBLASLt on the emulator: placeholder. No cublasLt* symbol is bound by the C# side yet
// (src/Runtime/Cuda/Native has no CublasLt bindings), so nothing is exported here.
// When cuBLASLt bindings land, implement exactly the entry points they bind in this file, following
// emu_cublas.cpp: cuBLAS's documented column-major semantics, f32 accumulation, record_or_run() for capture.
#include "emu_driver.h"
