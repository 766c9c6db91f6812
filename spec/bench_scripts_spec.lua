-- The benchmark scripts parse, and bench/cpu_vs_torch.sh steps aside when
-- PyTorch is not there. Benchmarks never decide tests: nothing here times
-- anything or runs a benchmark.
describe("bench/cpu_vs_torch.sh", function()
  it("is valid bash", function()
    assert.is_true(os.execute("bash -n bench/cpu_vs_torch.sh"))
  end)

  it("says so and exits 0 without PyTorch", function()
    local p = io.popen("TORCH_PYTHON=/nonexistent/python3 bash bench/cpu_vs_torch.sh --quick 2>&1; echo rc=$?")
    local out = p:read("a")
    p:close()
    assert.matches("no PyTorch at /nonexistent/python3", out, 1, true)
    assert.matches("rc=0", out, 1, true)
  end)

  it("refuses fewer than three rounds", function()
    local p = io.popen("TORCH_PYTHON=/nonexistent/python3 bash bench/cpu_vs_torch.sh --rounds 2 2>&1; echo rc=$?")
    local out = p:read("a")
    p:close()
    assert.matches("at least 3", out, 1, true)
    assert.matches("rc=2", out, 1, true)
  end)
end)

describe("the mien side of the benchmarks", function()
  for _, script in ipairs { "bench/train_fercnn.lua", "bench/train_fercnn_steps.lua", "bench/cpu_vs_torch_table.lua",
    "bench/optim_step.lua" } do
    it(script .. " compiles", function()
      assert(loadfile(script))
    end)
  end
end)
