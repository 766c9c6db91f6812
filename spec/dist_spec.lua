-- mien.dist and data-parallel mien.train.fit. The MPI specs start real
-- processes with `mpirun -np 2` (as root with --allow-run-as-root) and skip,
-- saying why, where mpirun or the MPI backend (libmien_mpi.so) is missing.
local mien = require "mien"
local json = require "mien.util.json"
local sampler = require "mien.dist.sampler"
local H = require "spec.support.helpers"

local function sh(command)
  local p = io.popen(command .. " 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  return code, out
end

local mpi_missing
if sh("command -v mpirun") ~= 0 then
  mpi_missing = "mpirun is not installed (openmpi-bin, see scripts/deps/dist.txt)"
elseif not package.searchpath("mien.libmien_mpi", package.cpath) then
  mpi_missing = "build/mien/libmien_mpi.so was not built (libopenmpi-dev, see cmake/dist.cmake)"
end

local ENV = string.format("OMP_NUM_THREADS=1 LUA_PATH=%s LUA_CPATH=%s", H.shell_quote(package.path),
  H.shell_quote(package.cpath))
local MPIRUN = "mpirun --allow-run-as-root --oversubscribe -np 2 -x OMP_NUM_THREADS -x LUA_PATH -x LUA_CPATH"

-- Runs spec/support/dist_train.lua alone (world 1) or under mpirun -np 2;
-- returns each rank's result by rank.
local function train(world, out, args)
  local command = string.format("env %s %s lua5.4 spec/support/dist_train.lua %s %s", ENV,
    world > 1 and MPIRUN or "", H.shell_quote(out), args)
  local code, output = sh(command)
  assert.are.equal(0, code, command .. "\n" .. output)
  local ranks = {}
  for r = 0, world - 1 do
    local f = assert(io.open(string.format("%s.rank%d.json", out, r)))
    ranks[r] = json.decode(f:read("a"))
    f:close()
  end
  return ranks
end

local function max_diff(a, b)
  local m = 0
  for i = 1, #a do m = math.max(m, math.abs(a[i] - b[i])) end
  return m
end

describe("mien.dist.sampler", function()
  it("gives disjoint shards that cover the data set, in the global batches' order", function()
    local order = {}
    for i = 1, 10 do order[i] = 100 + i end
    local seen = {}
    for rank = 0, 2 do
      local s = sampler.new { rank = rank, world_size = 3, pad = false }
      local shard = s:shard(order)
      assert.are.equal(s:count(10), #shard)
      for k, v in ipairs(shard) do
        assert.is_nil(seen[v], "index " .. v .. " in two shards")
        seen[v] = true
        assert.are.equal(order[rank + 1 + 3 * (k - 1)], v)
      end
    end
    for _, v in ipairs(order) do assert.is_true(seen[v], "index " .. v .. " in no shard") end
  end)

  it("pads to equal shards (the collectives need as many batches on every rank)", function()
    local order = { 1, 2, 3, 4, 5 }
    local a = sampler.new({ rank = 0, world_size = 2 }):shard(order)
    local b = sampler.new({ rank = 1, world_size = 2 }):shard(order)
    assert.are.same({ 1, 3, 5 }, a)
    assert.are.same({ 2, 4, 1 }, b)
  end)

  it("names a bad rank", function()
    assert.has_error(function() sampler.new { rank = 2, world_size = 2 } end,
      "mien.dist.sampler: rank must be an integer in [0, 2), got 2")
  end)

  it("shards a loader's seeded shuffle: two ranks read each example once per epoch", function()
    local ds = mien.data.synthetic_faces { n = 20, size = 8, seed = 1 }
    local seen = {}
    for rank = 0, 1 do
      local loader = mien.data.loader(ds, { batch = 4, seed = 9, prefetch = false,
        sampler = sampler.new { rank = rank, world_size = 2, pad = false } })
      assert.are.equal(3, #loader)
      for x in loader(2) do
        for i = 1, x:size(1) do
          local key = table.concat(H.flat(x[i]), ",")
          assert.is_nil(seen[key])
          seen[key] = true
        end
      end
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.are.equal(20, n)
  end)
end)

describe("mien.dist in one process", function()
  it("is a world of one where collectives change nothing", function()
    local rank, world, backend = mien.dist.init()
    assert.are.same({ 0, 1, "none" }, { rank, world, backend })
    local t = mien.tensor { 1, 2, 3 }
    mien.dist.all_reduce(t, "avg")
    mien.dist.broadcast(t, 0)
    assert.are.same({ 1, 2, 3 }, t:totable())
    assert.are.same({ { 1, 2, 3 } }, mien.dist.all_gather(t):totable())
    assert.has_error(function() mien.dist.all_reduce(mien.zeros({ 2, 3 }):t()) end,
      "dist.all_reduce: the tensor [3,2] is not contiguous (call :contiguous() first)")
    assert.has_error(function() mien.dist.all_reduce(t, "mean") end,
      "mien.dist.all_reduce: op must be sum, avg, max or min, got mean")
  end)
end)

describe("data-parallel training over MPI", function()
  local tmp = H.tmpdir()
  teardown(function() os.execute("rm -rf " .. H.shell_quote(tmp)) end)
  if mpi_missing then
    pending("MPI specs skipped: " .. mpi_missing)
    return
  end

  it("two processes with half the batch each give the weights of one process (BatchNorm frozen)", function()
    local one = train(1, tmp .. "/one", "16 2 frozen")[0]
    local two = train(2, tmp .. "/two", "8 2 frozen")
    assert.are.equal(2, two[0].world)
    assert.are.equal(4, two[0].loader_batches) -- 32 examples a rank in batches of 8
    assert.are.equal(64, two[0].images) -- the epoch's metrics count both ranks
    local initial = train(1, tmp .. "/init", "16 0 frozen")[0]
    assert.is_true(max_diff(one.weights, initial.weights) > 1e-2, "training changed the weights")
    local d = max_diff(one.weights, two[0].weights)
    print(string.format("\n  world 1 batch 16 vs world 2 batch 8: %d weights, max |diff| %.3g; rank 0 vs 1: %.3g; "
      .. "train loss %.6f vs %.6f", #one.weights, d, max_diff(two[0].weights, two[1].weights), one.train_loss,
      two[0].train_loss))
    H.assert_close(two[0].weights, one.weights, 1e-5, "world 2 vs world 1")
    assert.are.same(two[0].weights, two[1].weights)
    assert.is_true(math.abs(one.train_loss - two[0].train_loss) < 1e-5)
  end)

  it("synchronised BatchNorm keeps the running statistics of the global batch", function()
    local one = train(1, tmp .. "/sync1", "16 1 sync 0")[0]
    local two = train(2, tmp .. "/sync2", "8 1 sync 0")
    local per_rank = train(2, tmp .. "/rank2", "8 1 rank 0")
    print(string.format("\n  running stats, world 2 vs world 1: synchronised %.3g, per rank %.3g",
      max_diff(one.stats, two[0].stats), max_diff(one.stats, per_rank[0].stats)))
    H.assert_close(two[0].stats, one.stats, 1e-5, "synchronised running stats")
    assert.are.same(two[0].stats, two[1].stats)
    assert.is_true(max_diff(one.stats, per_rank[0].stats) > 1e-4, "per-rank statistics differ")
  end)

  it("resumes a run of two processes with one", function()
    local dir = tmp .. "/resume"
    train(2, tmp .. "/r2", "8 1 frozen 0.01 " .. dir)
    local r = train(1, tmp .. "/r1", "16 2 frozen 0.01 " .. dir)[0]
    assert.are.equal(2, r.epochs)
    local f = assert(io.open(dir .. "/history.jsonl"))
    local rows = select(2, f:read("a"):gsub("\n", ""))
    f:close()
    assert.are.equal(2, rows)
  end)
end)
