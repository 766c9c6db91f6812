--- mien info: version, build, BLAS, threads, devices and the bf16 path.
return {
  summary = "Version, build, BLAS, threads and devices.",
  configure = function() end,
  main = function()
    local mien = require "mien"
    local info = mien.info()
    print(string.format("mien %s", info.version))
    print(string.format("blas     %s (%s kernels)", info.blas, info.blas_core))
    print(string.format("gemm     %s (built-in, inside convolutions)", info.gemm))
    print(string.format("threads  %d", info.threads))
    print(string.format("cuda     %s", info.cuda and "available" or "not available (CPU build or no GPU)"))
    print(string.format("bf16     %s", info.bf16))
  end,
}
