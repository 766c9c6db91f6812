-- Type confusion in the JSON parsers, checked on every field: each value of
-- each JSON seed of the Lua fuzz drivers (tests/fuzz/corpus/) is replaced in
-- turn by a value of every other JSON type, and each object member removed.
-- The parser must accept the file or raise a clear error of its own (error,
-- assert, luaL_error); a Lua runtime error ("attempt to index a boolean
-- value", a bad argument to a library function) means a check is missing.
-- This is the check tests/fuzz/fuzz_lua.c makes, made here on every path
-- deterministically, where libFuzzer's byte mutations find such inputs only
-- by chance.
local H = require "spec.support.helpers"
local cjson = require "cjson"

local ALTERNATIVES = {
  { "null", cjson.null }, { "true", true }, { "false", false }, { "0", 0 }, { "-7", -7 }, { "1.5", 1.5 },
  { "1e300", 1e300 }, { '""', "" }, { '"x"', "x" }, { "{}", {} }, { "[1]", { 1 } }, { '["x"]', { "x" } },
  { "[{}]", { {} } }, { '{"a":1}', { a = 1 } },
}

-- Sorted keys, so the mutations come in the same order every run.
local function keys_of(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) == "number"
  end)
  return keys
end

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n > 0 and n == #t
end

-- Calls visit(description, json_text) for every mutation of the decoded value.
local function mutations(root, visit)
  local function walk(t, path)
    local array = is_array(t)
    for _, k in ipairs(keys_of(t)) do
      local at = array and string.format("%s[%d]", path, k) or path .. "." .. tostring(k)
      local old = t[k]
      for _, alt in ipairs(ALTERNATIVES) do
        t[k] = alt[2] -- only encoded, never walked into or changed
        visit(at .. " = " .. alt[1], cjson.encode(root))
      end
      if array then table.remove(t, k) else t[k] = nil end
      visit(at .. " removed", cjson.encode(root))
      if array then table.insert(t, k, old) else t[k] = old end
      if type(old) == "table" then walk(old, at) end
    end
  end
  walk(root, "$")
end

-- A case: its seeds ({label, body}, body the JSON text) and parse(dir, text).
local CASES = {}

-- The fuzz drivers with their seeds; the sweep driver's inputs start with a
-- byte that picks the file kind, kept as it is.
for _, d in ipairs { { "tfjs_graph", 0 }, { "tfjs_manifest", 0 }, { "checkpoint", 0 }, { "sweep", 1 } } do
  local name, prefix = d[1], d[2]
  local folder = "tests/fuzz/corpus/" .. name
  local case = { name = name, seeds = {} }
  for file in io.popen("ls " .. folder):lines() do
    local bytes = H.read_file(folder .. "/" .. file)
    case.seeds[#case.seeds + 1] = { label = file, head = bytes:sub(1, prefix), body = bytes:sub(prefix + 1) }
  end
  local driver
  function case.parse(dir, seed, text)
    driver = driver or dofile("tests/fuzz/lua/" .. name .. ".lua")
    driver(seed.head .. text, dir)
  end
  CASES[#CASES + 1] = case
end

-- A Slurm sweep's record of its submitted array jobs, read back on resume.
do
  local slurm = require "mien.sweep.slurm"
  CASES[#CASES + 1] = {
    name = "slurm jobs",
    seeds = { { label = "jobs.json", body = '[{"job":"4242","script":"batch-001.sh","tasks":[{"array":0,"index":1,'
      .. '"id":"0001","config":{"lr":0.01}},{"array":1,"index":2,"id":"0002","config":{"lr":0.001}}]}]' } },
    parse = function(dir, _, text)
      H.write_file(dir .. "/jobs.json", text)
      slurm.read_jobs(dir .. "/jobs.json")
    end,
  }
end

-- mien board over a sweep with one run: each of its files mutated in turn
-- (history.jsonl's last row), the others as mien wrote them.
local BOARD_FILES = {
  ["sweep.json"] = '{"method":"bayes","mode":"max","objective":"val_acc","seed":1,"seeds":[1],"space":{"lr":'
    .. '{"hi":0.01,"kind":"log_uniform","lo":0.0003},"batch":{"kind":"choice","values":[32,64]}}}',
  ["trials/0001.json"] = '{"config":{"batch":32,"lr":0.0005},"id":"0001","index":1,"metrics":{"val_acc":0.25,'
    .. '"val_loss":1.9},"metrics_std":{"val_acc":0,"val_loss":0},"objective":0.25,"objective_std":0,"runs":'
    .. '[{"result":{"val_acc":0.25,"val_loss":1.9},"seed":1}],"seconds":3,"status":"ok"}',
  ["runs/0001-s1/history.jsonl"] = '{"epoch":1,"images_per_s":345.7,"lr":0.0005,"seconds":0.13,"step":2,'
    .. '"train_acc":0.13,"train_loss":1.93,"val_acc":0.14,"val_loss":1.95}',
  ["runs/0001-s1/config.json"] = '{"batch":32,"config":{"batch":32,"data":"synthetic faces","lr":0.0005},"epochs":1,'
    .. '"mode":"max","monitor":"val_acc","optimizer":{"hyper":{"amsgrad":false,"lr":0.0005},"name":"Adam"},'
    .. '"recipe":{"classes":["angry","happy"],"input":{"channels":1,"size":48},"script":"examples/fer_cnn.lua"},'
    .. '"train_size":46,"val_size":14}',
  ["runs/0001-s1/errors.json"] = '{"classes":["angry","happy"],"correct":2,"matrix":[[1,1],[1,1]],"mistakes":'
    .. '[{"confidence":0.17,"image":"errors/c1_1.png","index":12,"pred":2,"target":1}],"n":4}',
}
local BOARD_HISTORY_FIRST = '{"epoch":0,"lr":0.0005,"seconds":0.1,"step":1,"train_loss":2.0,"val_acc":0.1}\n'

do
  local board = require "mien.board"
  local page = require "mien.board.page"
  local case = { name = "board", seeds = {} }
  for file, body in pairs(BOARD_FILES) do case.seeds[#case.seeds + 1] = { label = file, body = body } end
  table.sort(case.seeds, function(a, b) return a.label < b.label end)
  function case.parse(dir, seed, text)
    local root = dir .. "/board"
    if not H.exists(root) then
      H.mkdir(root .. "/trials")
      H.mkdir(root .. "/runs/0001-s1")
    end
    for file, body in pairs(BOARD_FILES) do
      if file == seed.label then body = text end
      if file:match("jsonl$") then body = BOARD_HISTORY_FIRST .. body end
      H.write_file(root .. "/" .. file, body)
    end
    local d = board.build({ root })
    page.html(d)
    return d
  end
  CASES[#CASES + 1] = case
end

describe("the JSON parsers under type confusion", function()
  it("board: the unmutated seeds make a page with the sweep and its run", function()
    local dir = H.tmpdir()
    local case = CASES[#CASES]
    local d = case.parse(dir, case.seeds[1], case.seeds[1].body)
    assert.are.equal(1, #d.runs)
    assert.are.equal(1, #d.sweeps)
    H.remove_dir(dir)
  end)

  for _, case in ipairs(CASES) do
    it(case.name .. ": every field of every seed, as every JSON type and removed", function()
      local dir = H.tmpdir()
      assert.is_true(#case.seeds > 0, "no seeds for " .. case.name)
      local runs, failures = 0, {}
      local stderr = io.stderr -- the mutated manifests' warnings, thousands of them, go nowhere
      io.stderr = { write = function() end }
      finally(function() io.stderr = stderr end)
      for _, seed in ipairs(case.seeds) do
        local function parse(text) return case.parse(dir, seed, text) end
        mutations(cjson.decode(seed.body), function(what, text)
          runs = runs + 1
          local err = H.runtime_error(parse, text)
          if err then failures[#failures + 1] = seed.label .. ": " .. what .. "\n" .. err end
        end)
      end
      assert.is_true(runs > 50, case.name .. ": only " .. runs .. " mutations")
      local listed = {}
      for i = 1, math.min(#failures, 5) do listed[i] = failures[i]:gsub("\nstack traceback.*", "") end
      assert(#failures == 0, string.format(
        "%d of %d mutations raised a Lua runtime error:\n%s\n\nthe first in full:\n%s",
        #failures, runs, table.concat(listed, "\n"), failures[1]))
      H.remove_dir(dir)
    end)
  end
end)
