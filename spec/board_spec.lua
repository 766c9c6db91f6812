-- mien board: reading runs and sweeps, the page's data, its size at 200 runs,
-- and the page itself in headless Chromium (every run listed, curves drawn,
-- sorting and hiding done through the page's own click handlers).
local mien = require "mien"
local json = require "mien.util.json"
local base64 = require "mien.util.base64"
local board = require "mien.board"
local H = require "spec.support.helpers"

local tmpdir, read_file, write_file, count, exists = H.tmpdir, H.read_file, H.write_file, H.count, H.exists

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
  local out = f:read("a")
  f:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end

local function chromium_path()
  local p = io.popen("command -v chromium || command -v chromium-browser")
  local path = p:read("l")
  p:close()
  return path
end
local CHROMIUM = chromium_path()

-- The DOM of a page after its scripts ran, in a fresh headless Chromium
-- profile; an error if the page's script raised one.
local function dump_dom(url)
  local profile = tmpdir()
  local cmd = table.concat({ "timeout 120", CHROMIUM, "--headless --no-sandbox --disable-gpu",
    "--disable-background-networking --disable-component-update --disable-sync --no-first-run",
    "--enable-logging=stderr --v=0", "--user-data-dir=" .. H.shell_quote(profile), "--dump-dom", H.shell_quote(url),
    "2>" .. H.shell_quote(profile .. "/log") }, " ")
  local p = io.popen(cmd)
  local dom = p:read("a")
  p:close()
  local log = read_file(profile .. "/log")
  H.remove_dir(profile)
  local uncaught = log:match("[^\n]*Uncaught[^\n]*")
  assert(uncaught == nil, "the page's script failed: " .. tostring(uncaught))
  return dom
end

-- Per run index, the number of curves drawn for it.
local function curves_by_run(dom)
  local n = {}
  for tag in dom:gmatch('<path class="curve[^>]*>') do
    local id = tonumber(tag:match('data%-run="(%d+)"'))
    n[id] = (n[id] or 0) + 1
  end
  return n
end

-- Run names of the table rows, top to bottom.
local function row_names(dom)
  local names = {}
  for row in dom:gmatch('<tr data%-run="%d+"[^>]*>(.-)</tr>') do
    names[#names + 1] = row:match('<td class="name"><i[^>]*></i>(.-)</td>')
  end
  return names
end

local function history_of(dir)
  local rows = {}
  for line in io.lines(dir .. "/history.jsonl") do rows[#rows + 1] = json.decode(line) end
  return rows
end

describe("mien.util.base64", function()
  it("encodes the RFC 4648 test vectors", function()
    local want = { [""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==", fooba = "Zm9vYmE=",
      foobar = "Zm9vYmFy", ["\0\255\128"] = "AP+A" }
    for s, b in pairs(want) do assert.are.equal(b, base64.encode(s)) end
  end)
end)

describe("mien.train.errors", function()
  local errors = require "mien.train.errors"
  local faces = mien.data.synthetic_faces { n = 42, size = 48, seed = 5 }
  -- a "model" that always answers class 2 ("disgust") with the same confidence
  local always_2 = setmetatable({ training = false, eval = function() end, train = function() end }, {
    __call = function(_, x)
      local rows = {}
      for i = 1, x:size(1) do rows[i] = { 0, 2, 0, 0, 0, 0, 0 } end
      return mien.tensor(rows)
    end,
  })

  it("counts the confusion matrix and keeps the mistakes with their data set index", function()
    local indices = {}
    for i = 42, 15, -1 do indices[#indices + 1] = i end
    local loader = mien.data.loader(faces, { batch = 5, indices = indices, shuffle = true, seed = 3 })
    local found = errors.collect(always_2, loader, { per_class = 2 })
    local labels, counts = faces:labels_table(), {}
    for _, i in ipairs(indices) do counts[labels[i]] = (counts[labels[i]] or 0) + 1 end
    assert.are.equal(#indices, found.n)
    assert.are.equal(counts[2] or 0, found.correct)
    for c = 1, 7 do
      for p = 1, 7 do assert.are.equal(p == 2 and (counts[c] or 0) or 0, found.matrix[c][p]) end
    end
    local per = {}
    for _, m in ipairs(found.mistakes) do
      assert.are.equal(2, m.pred)
      assert.are.equal(labels[m.index], m.target)
      assert.is_true(m.index >= 15, "index " .. m.index .. " is one of the loader's")
      per[m.target] = (per[m.target] or 0) + 1
    end
    for c = 1, 7 do assert.are.equal(c == 2 and 0 or math.min(2, counts[c] or 0), per[c] or 0) end
    local dir = tmpdir()
    local path = errors.write(dir, found)
    local saved = json.decode(read_file(path))
    assert.are.same(found.matrix, saved.matrix)
    for _, m in ipairs(saved.mistakes) do
      local img = mien.image.load(dir .. "/" .. m.image)
      assert.are.same(faces.images[m.index]:totable(), img:totable())
    end
    H.remove_dir(dir)
  end)

  it("does not fail a training whose model does not give one score per class", function()
    local dir = tmpdir()
    local nn = require "mien.nn"
    local model = nn.Sequential(nn.Flatten(), nn.Linear(48 * 48, 3))
    local history = mien.train.fit { model = model, epochs = 1, quiet = true, dir = dir,
      optimizer = mien.optim.SGD(model:parameters(), { lr = 0.01 }),
      loss = function(out, y) return mien.F.cross_entropy(out, mien.ones({ y:size(1) }, { dtype = "int64" })) end,
      train = mien.data.loader(faces, { batch = 21 }), val = mien.data.loader(faces, { batch = 21, shuffle = false }) }
    assert.are.equal(1, #history)
    assert.is_false(exists(dir .. "/errors.json"))
    H.remove_dir(dir)
  end)
end)

describe("mien board over runs and sweeps trained on synthetic faces", function()
  local dir = tmpdir()
  local runs, page = dir .. "/runs", dir .. "/board.html"
  local code, out

  setup(function()
    -- three runs and a random and a Bayesian sweep of three trials, two epochs each
    code, out = run("scripts/mien run examples/board_demo.lua --runs 3 --trials 3 --epochs 2 --faces 140 --dir "
      .. runs)
  end)
  teardown(function() H.remove_dir(dir) end)

  it("trains the runs: history with steps, config.json and the final model's errors", function()
    assert.are.equal(0, code, out)
    local run_dir = runs .. "/runs/adam-lr0.003-d0.1"
    local history = history_of(run_dir)
    assert.are.equal(2, #history)
    assert.is_true(history[2].step > history[1].step and history[1].step > 0)
    local config = json.decode(read_file(run_dir .. "/config.json"))
    assert.are.equal(0.003, config.config.lr)
    assert.are.equal("Adam", config.optimizer.name)
    assert.are.equal(140, config.train_size + config.val_size)
    local errors = json.decode(read_file(run_dir .. "/errors.json"))
    local total, right = 0, 0
    for i, row in ipairs(errors.matrix) do
      for j, v in ipairs(row) do
        total = total + v
        if i == j then right = right + v end
      end
    end
    assert.are.equal(config.val_size, total)
    assert.are.equal(errors.correct, right)
    assert.is_true(#errors.mistakes > 0)
    local last_conf = {}
    for _, m in ipairs(errors.mistakes) do
      assert.are_not.equal(m.target, m.pred)
      assert.is_true(m.confidence <= (last_conf[m.target] or 1))
      last_conf[m.target] = m.confidence
      assert.are.equal("\137PNG", read_file(run_dir .. "/" .. m.image):sub(1, 4))
    end
  end)

  it("writes one page with every run and sweep, from the command line", function()
    local c, o = run("scripts/mien board " .. runs .. " --out " .. page)
    assert.are.equal(0, c, o)
    assert.matches("board.html: 9 runs, 2 sweeps, %d+ images", o)
    local html = read_file(page)
    assert.matches("^<!DOCTYPE html>", html)
    assert.is_nil(html:find("<script src", 1, true))
    assert.is_nil(html:find("<link", 1, true))
    local d = board.build({ runs })
    assert.are.equal(9, #d.runs)
    assert.are.equal(2, #d.sweeps)
    local methods = {}
    for _, s in ipairs(d.sweeps) do
      methods[#methods + 1] = s.method
      assert.are.equal(3, #s.trials)
      for _, t in ipairs(s.trials) do assert.is_not_nil(t.run, "trial " .. t.id .. " has its run") end
    end
    table.sort(methods)
    assert.are.same({ "bayes", "random" }, methods)
    for _, r in ipairs(d.runs) do
      assert.is_not_nil(r.errors, r.name)
      assert.are.equal(2, #r.h.val_loss)
    end
  end)

  describe("in headless Chromium", function()
    if not CHROMIUM then
      pending("chromium not installed (apt-get install chromium); the board's browser checks did not run")
      return
    end
    local d

    setup(function()
      d = board.build({ runs })
      board.write({ runs }, { out = page })
    end)

    it("lists every run and draws its curves", function()
      local dom = dump_dom("file://" .. page)
      assert.matches('data-ready="yes"', dom, 1, true)
      local names = row_names(dom)
      assert.are.equal(#d.runs, #names)
      local listed = {}
      for _, n in ipairs(names) do listed[n] = true end
      for _, r in ipairs(d.runs) do assert.is_true(listed[r.name], r.name) end
      local curves = curves_by_run(dom)
      for i = 0, #d.runs - 1 do
        -- validation loss and accuracy, training loss and accuracy, learning rate
        assert.are.equal(5, curves[i], "curves of run " .. i)
      end
      -- sweeps: one line per finished trial in each parallel-coordinates plot, and the best-so-far chart
      assert.are.equal(6, count(dom, '<path class="trial'))
      assert.are.equal(2, count(dom, 'class="best%-line"'))
      -- errors: two confusion matrices and the mistakes' images
      assert.are.equal(2, count(dom, '<table class="cm"'))
      assert.is_true(count(dom, '<img src="data:image/png;base64,') > 0)
    end)

    it("draws the curves against steps or wall time, smoothed", function()
      for _, x in ipairs { "step", "time" } do
        local dom = dump_dom("file://" .. page .. "#x=" .. x .. "&smooth=0.8")
        assert.matches(x == "time" and ">wall time %(s%)</text>" or ">step</text>", dom)
        assert.matches('<output>0.8</output>', dom, 1, true)
        local curves = curves_by_run(dom)
        for i = 0, #d.runs - 1 do assert.are.equal(5, curves[i], x .. ": curves of run " .. i) end
      end
    end)

    it("sorts the rows by a clicked header, then reverses them", function()
      local key = "lr" -- differs between the runs
      local function expected(dir)
        local list = {}
        for i, r in ipairs(d.runs) do list[i] = { name = r.name, v = r.cells[key], i = i } end
        table.sort(list, function(a, b)
          if a.v ~= b.v then return dir > 0 and a.v < b.v or dir < 0 and a.v > b.v end
          return a.i < b.i
        end)
        local names = {}
        for i, x in ipairs(list) do names[i] = x.name end
        return names
      end
      local up = row_names(dump_dom("file://" .. page .. "#sort=lr"))
      assert.are.same(expected(1), up)
      local down = row_names(dump_dom("file://" .. page .. "#sort=lr&sort=lr"))
      assert.are.same(expected(-1), down)
      local unsorted = {}
      for i, r in ipairs(d.runs) do unsorted[i] = r.name end
      assert.are_not.same(unsorted, up)
    end)

    it("removes a run's curves when its legend entry is clicked", function()
      local dom = dump_dom("file://" .. page .. "#hide=1")
      local curves = curves_by_run(dom)
      assert.is_nil(curves[1])
      assert.are.equal(5, curves[0])
      assert.are.equal(5, curves[2])
      assert.matches('<button class="chip off" data%-run="1"', dom)
    end)

    it("highlights a run's curves when its table row is clicked", function()
      local dom = dump_dom("file://" .. page .. "#row=2")
      local hl, faded = 0, 0
      for tag in dom:gmatch('<path class="curve[^>]*>') do
        local cls, id = tag:match('class="([^"]*)"'), tag:match('data%-run="(%d+)"')
        if id == "2" then
          assert.are.equal("curve hl", cls)
          hl = hl + 1
        else
          assert.are.equal("curve faded", cls)
          faded = faded + 1
        end
      end
      assert.are.equal(5, hl)
      assert.are.equal(5 * (#d.runs - 1), faded)
      assert.matches('<tr data%-run="2" class="hl">', dom)
    end)

    it("filters the rows and the curves by what is typed", function()
      local dom = dump_dom("file://" .. page .. "#filter=sweep-bayes")
      local names, want = row_names(dom), {}
      for _, r in ipairs(d.runs) do
        if r.name:find("sweep-bayes", 1, true) then want[#want + 1] = r.name end
      end
      assert.are.equal(3, #want)
      assert.are.same(want, names)
      local n = 0
      for _, c in pairs(curves_by_run(dom)) do n = n + c end
      assert.are.equal(3 * 5, n)
    end)

    it("keeps the sweep trials inside a range dragged on a parallel-coordinates axis", function()
      local sweep = d.sweeps[1]
      local lo, hi, target
      for _, p in ipairs(sweep.params) do
        if p.name == "dropout" then lo, hi = p.lo, p.hi end
      end
      target = sweep.trials[1].config.dropout
      -- the axis runs from hi at the top to lo at the bottom; drag over target +- 2% of it
      local f = (hi - target) / (hi - lo)
      local dom = dump_dom(string.format("file://%s#brush=0,dropout,%.4f,%.4f", page, f - 0.02, f + 0.02))
      local from, to = hi - (f + 0.02) * (hi - lo), hi - (f - 0.02) * (hi - lo)
      local plot = assert(dom:match('<svg[^>]* id="pc%-0"[^>]*>(.-)</svg>'), "the first sweep's plot")
      local seen = 0
      for cls, id in plot:gmatch('<path class="(trial[^"]*)"[^>]*data%-trial="(%d+)"') do
        seen = seen + 1
        local v
        for _, t in ipairs(sweep.trials) do
          if t.id == id then v = t.config.dropout end
        end
        local inside = v >= from - 1e-3 and v <= to + 1e-3
        assert.are.equal(not inside, cls:find("dim", 1, true) ~= nil, "trial " .. id .. " dropout " .. v)
      end
      assert.are.equal(3, seen)
      assert.matches("%d of 3 trials", plot)
      assert.is_nil(plot:find('class="trial dim[^"]*" [^>]*data%-trial="' .. sweep.trials[1].id .. '"'))
    end)
  end)
end)

describe("mien board at 200 runs", function()
  local dir = tmpdir()
  teardown(function() H.remove_dir(dir) end)
  local classes = { "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral" }
  local pool = 1500 -- distinct noise images, more than the page's image budget holds

  setup(function()
    mien.manual_seed(3)
    local images = dir .. "/pool"
    H.mkdir(images)
    local noise = (mien.rand({ pool, 48, 48, 1 }) * 255):byte()
    local pngs = {}
    for i = 1, pool do
      mien.image.write(string.format("%s/%d.png", images, i), noise[i]:contiguous())
      pngs[i] = read_file(string.format("%s/%d.png", images, i))
    end
    for r = 1, 200 do
      local run_dir = string.format("%s/runs/lr%03d", dir, r)
      H.mkdir(run_dir .. "/errors")
      local lines, lr = {}, 1e-4 * 1.03 ^ r
      for e = 1, 30 do
        local loss = 2 * math.exp(-e * lr * 100) + 0.01 * math.sin(r + e)
        lines[e] = json.encode { epoch = e, step = e * 90, seconds = 12.5 + r % 7, lr = lr * 0.95 ^ e,
          train_loss = loss, val_loss = loss * 1.1, train_acc = 1 - loss / 2.2, val_acc = 0.95 - loss / 2.2 }
      end
      write_file(run_dir .. "/history.jsonl", table.concat(lines, "\n") .. "\n")
      write_file(run_dir .. "/config.json", json.encode { epochs = 30, batch = 64,
        config = { lr = lr, dropout = (r % 5) / 10, batch = 64 } })
      local mistakes, matrix = {}, {}
      for c = 1, 7 do
        matrix[c] = { 1, 2, 3, 4, 5, 6, 7 }
        matrix[c][c] = 50
        for k = 1, 8 do
          local name = string.format("errors/c%d_%d.png", c, k)
          write_file(run_dir .. "/" .. name, pngs[(r * 56 + c * 8 + k) % pool + 1])
          mistakes[#mistakes + 1] = { target = c, pred = c % 7 + 1, confidence = 0.9 - k / 20, image = name }
        end
      end
      write_file(run_dir .. "/errors.json", json.encode { classes = classes, matrix = matrix, mistakes = mistakes })
    end
  end)

  it("stays under 5 MB, embedding images only up to its budget", function()
    local path, stats = board.write({ dir .. "/runs" }, { out = dir .. "/board.html" })
    assert.are.equal(200, stats.runs)
    assert.is_true(stats.bytes < 5e6, stats.bytes .. " bytes")
    assert.is_true(stats.images > 500 and stats.images < pool, stats.images .. " images")
    assert.are.equal(stats.bytes, #read_file(path))
  end)

  it("renders every run in Chromium", function()
    if not CHROMIUM then
      pending("chromium not installed (apt-get install chromium)")
      return
    end
    local dom = dump_dom("file://" .. dir .. "/board.html#sort=best%20val_acc")
    local names = row_names(dom)
    assert.are.equal(200, #names)
    local curves, n = curves_by_run(dom), 0
    for _, c in pairs(curves) do n = n + c end
    assert.are.equal(200 * 5, n)
  end)
end)

describe("mien.board", function()
  local dir

  before_each(function() dir = tmpdir() end)
  after_each(function() H.remove_dir(dir) end)

  local function fake_run(path, name_rows)
    H.mkdir(path)
    local lines = {}
    for e = 1, name_rows do
      lines[e] = json.encode { epoch = e, train_loss = 1 / e, val_acc = e / 10, seconds = 1 }
    end
    write_file(path .. "/history.jsonl", table.concat(lines, "\n") .. "\n")
  end

  it("keeps run names that look like HTML inside the data", function()
    fake_run(dir .. "/runs/a</script><b>x", 2)
    fake_run(dir .. "/runs/plain", 3)
    local path = board.write({ dir .. "/runs" }, { out = dir .. "/out/board.html", title = "t</title>" })
    local html = read_file(path)
    assert.are.equal(2, count(html, "</script>"))
    assert.is_nil(html:find("<b>x", 1, true))
    assert.matches("<title>t&lt;/title&gt;</title>", html, 1, true)
    local payload = html:match('<script type="application/json" id="board%-data">(.-)</script>')
    local d = json.decode(payload)
    assert.are.equal("a</script><b>x", d.runs[1].name)
    assert.are.same({ 1, 0.5 }, d.runs[1].h.train_loss)
    assert.are.same({ 1, 2 }, d.runs[1].h.time)
  end)

  it("skips a run whose history is not JSON, naming the file and line", function()
    fake_run(dir .. "/good", 2)
    H.mkdir(dir .. "/bad")
    write_file(dir .. "/bad/history.jsonl", '{"epoch":1}\n{"epoch":2,\n')
    local d, warnings = board.build({ dir })
    assert.are.equal(1, #d.runs)
    assert.are.equal(1, #warnings)
    assert.matches("bad/history.jsonl line 2 is not a JSON object", warnings[1], 1, true)
  end)

  it("never reads a mistake's image from outside the run's errors folder", function()
    fake_run(dir .. "/r", 1)
    write_file(dir .. "/secret.png", "\137PNG secret")
    write_file(dir .. "/r/errors.json", json.encode { classes = { "a", "b" }, matrix = { { 1, 1 }, { 0, 2 } },
      mistakes = { { target = 1, pred = 2, confidence = 0.9, image = "errors/../../secret.png" } } })
    local d, warnings = board.build({ dir .. "/r" })
    assert.are.equal(0, #d.images)
    assert.matches("ignored image errors/../../secret.png", warnings[1], 1, true)
  end)

  it("rejects what is not a list of folders", function()
    assert.has_error(function() board.write({}) end, "board.write: expected a list of folders")
    assert.has_error(function() board.write({ dir .. "/nope" }) end,
      "board.write: " .. dir .. "/nope is not a folder")
    assert.has_error(function() board.write({ dir }, { watch = 0 }) end,
      "board.write: watch must be a number of seconds >= 1, got 0")
  end)

  it("rewrites a watched page, which then reloads itself", function()
    fake_run(dir .. "/r", 1)
    local writes = {}
    board.watch({ dir .. "/r" }, { out = dir .. "/board.html", watch = 1, times = 2, on_write = function(path, stats)
      writes[#writes + 1] = stats.runs
      fake_run(dir .. "/r", 2) -- the run trains on between two writes
    end })
    assert.are.same({ 1, 1 }, writes)
    local d = json.decode(read_file(dir .. "/board.html"):match('id="board%-data">(.-)</script>'))
    assert.are.equal(1, d.watch)
    assert.are.equal(2, #d.runs[1].h.epoch)
    assert.is_false(exists(dir .. "/board.html.tmp"))
  end)
end)
