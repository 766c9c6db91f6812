--- mien info: version, build, BLAS, threads and devices.
return {
  summary = "Version, build, BLAS, threads and devices.",
  configure = function() end,
  main = function()
    local mien = require "mien"
    local info = mien.info()
    print(string.format("mien %s", info.version))
    print(string.format("blas     %s (%s kernels)", info.blas, info.blas_core))
    print(string.format("threads  %d", info.threads))
    print(string.format("cuda     %s", info.cuda and "available" or "not available (CPU build or no GPU)"))
  end,
}
