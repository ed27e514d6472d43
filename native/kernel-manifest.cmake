# Writes NAME.fatbin.sources next to a fatbin: "sha256  file" for the kernel source and every kernels/*.cuh, the
# exact bytes the engine embeds. The engine loads the fatbin only when these equal its embedded sources' hashes
# (src/Runtime/Cuda/PrebuiltKernels.cs). Usage: cmake -DSRC=kernels/x.cu -DOUT=build/x.fatbin.sources -P this-file
if(NOT SRC OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DSRC=<kernel.cu> -DOUT=<fatbin>.sources -P kernel-manifest.cmake")
endif()
get_filename_component(dir ${SRC} DIRECTORY)
file(GLOB headers ${dir}/*.cuh)
list(SORT headers)
set(text "# written by native/kernel-manifest.cmake\n")
foreach(f ${SRC} ${headers})
  file(SHA256 ${f} h)
  get_filename_component(n ${f} NAME)
  string(APPEND text "${h}  ${n}\n")
endforeach()
file(WRITE ${OUT} "${text}")
