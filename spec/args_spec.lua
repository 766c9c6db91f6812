-- Public functions check their arguments: a wrong type names the function,
-- the argument and what was expected, at the caller's file and line (not
-- "attempt to index a number value" from inside mien).
local mien = require "mien"
local args = require "mien.util.args"

local THIS_FILE = "spec/args_spec.lua:"

-- Calls fn (not as a tail call, so the caller's line is this file's) and
-- returns the error message.
local function message_of(fn, ...)
  local ok, err = pcall(function(...)
    local r = fn(...)
    return r
  end, ...)
  assert.is_false(ok, "expected an argument error")
  return tostring(err)
end

local function has(s, fragment)
  assert.truthy(s:find(fragment, 1, true), string.format("message %q lacks %q", s, fragment))
end

describe("argument checks", function()
  local ds = mien.data.synthetic_faces { n = 14, size = 16 }

  it("the issue's example reads as asked", function()
    local m = message_of(mien.data.stratified_split, ds, 0.2)
    has(m, "stratified_split: argument 2 must be an options table {val=, seed=}, got number")
    has(m, THIS_FILE)
  end)

  -- {what is called, function, arguments..., fragments the message must hold}
  local cases = {
    { "image_folder(42)", function() return mien.data.image_folder(42) end, "image_folder: argument 1 must be a folder path, got number" },
    { "image_folder(dir, 'x')", function() return mien.data.image_folder("spec", "x") end, "image_folder: argument 2 must be an options table" },
    { "fer2013_csv()", function() return mien.data.fer2013_csv() end, "fer2013_csv: argument 1 must be the path of fer2013.csv" },
    { "synthetic_faces(100)", function() return mien.data.synthetic_faces(100) end, "synthetic_faces: argument 1 must be an options table {n=, size=, seed=, aus=}, got number" },
    { "synthetic_faces{n='x'}", function() return mien.data.synthetic_faces { n = "x" } end, "synthetic_faces: option n must be an integer, got string" },
    { "stratified_split(nil)", function() return mien.data.stratified_split(nil) end, "stratified_split: argument 1 must be a data set or a list of labels, got nothing" },
    { "stratified_split{val='0.2'}", function() return mien.data.stratified_split(ds, { val = "0.2" }) end, "stratified_split: option val must be a number" },
    { "kfold(ds, 'five')", function() return mien.data.kfold(ds, "five") end, "kfold: argument 2 must be the number of folds, got string" },
    { "group_kfold(ds, 3, 1)", function() return mien.data.group_kfold(ds, 3, 1) end, "group_kfold: argument 3 must be an options table" },
    { "balance(ds, true)", function() return mien.data.balance(ds, true) end, "balance: argument 2 must be an options table" },
    { "loader(ds, 64)", function() return mien.data.loader(ds, 64) end, "loader: argument 2 must be an options table {batch=", "got number" },
    { "loader(nil)", function() return mien.data.loader(nil, {}) end, "loader: argument 1 must be a data set" },
    { "loader{batch='64'}", function() return mien.data.loader(ds, { batch = "64" }) end, "loader: option batch must be an integer" },
    { "ds:subset(3)", function() return ds:subset(3) end, "ds:subset: argument 1 must be a list of 1-based indices, got number" },
    { "ds:save(1)", function() return ds:save(1) end, "ds:save: argument 1 must be a file path" },
    { "preview(ds, {}, nil)", function() return mien.data.preview(ds, {}, nil) end, "preview: argument 3 must be the PNG file to write" },
    { "evaluate(model, 5)", function() return mien.train.evaluate(mien.nn.Linear(2, 2), 5) end, "evaluate: argument 2 must be a loader" },
    { "fit(3)", function() return mien.train.fit(3) end, "fit: argument 1 must be an options table {model=" },
    { "features.extract(nil, ds)", function() return mien.features.extract(nil, ds) end, "features.extract: argument 1 must be a backbone module" },
    { "features.loader(1, 2)", function() return mien.features.loader(1, 2) end, "features.loader: argument 1 must be a tensor, got number" },
    { "models.load(7)", function() return mien.models.load(7) end, "models.load: argument 1 must be a model name" },
    { "io.save(t, path, 1)", function() return mien.io.save({}, "/tmp/x.safetensors", 1) end, "mien.io.save: argument 3 must be an options table" },
    { "Adam(params, 0.01)", function() return mien.optim.Adam({ mien.zeros(2) }, 0.01) end, "Adam: argument 2 must be an options table" },
    { "ReduceLROnPlateau(nil)", function() return mien.optim.ReduceLROnPlateau(nil) end, "ReduceLROnPlateau: argument 1 must be an optimizer" },
    { "StepLR(opt, 5)", function() return mien.optim.StepLR(mien.optim.SGD({ mien.zeros(2) }), 5) end, "StepLR: argument 2 must be an options table" },
    { "format_confusion(cm, names, 2)", function() return mien.metrics.format_confusion({ { 1, 0 }, { 0, 1 } }, { "a", "b" }, 2) end, "metrics.format_confusion: argument 3 must be an options table {normalize=, digits=}, got number" },
    { "face.crop_folder(1)", function() return require("mien.face").crop_folder(1, "x") end, "face.crop_folder: argument 1 must be a folder of class folders" },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      local m = message_of(c[2])
      for i = 3, #c do has(m, c[i]) end
      has(m, THIS_FILE)
      assert.falsy(m:find("attempt to", 1, true), m)
    end)
  end
end)

describe("mien.util.args", function()
  it("check passes a right value through and names what a wrong one is", function()
    assert.are.equal(3, args.check("f", 1, 3, "integer"))
    assert.is_nil(args.check("f", 1, nil, "table?"))
    local m = message_of(function() return args.check("f", 2, "x", "table|tensor") end)
    has(m, "f: argument 2 must be a table or a tensor, got string \"x\"")
    m = message_of(function() return args.check("f", 1, mien.zeros(1), "table") end)
    has(m, "got a tensor")
  end)

  it("options accepts nil and tables only", function()
    assert.are.same({}, args.options("f", 1, nil))
    local t = {}
    assert.are.equal(t, args.options("f", 1, t))
    has(message_of(function() return args.options("f", 3, "x", "{a=}") end),
      "f: argument 3 must be an options table {a=}, got string")
  end)

  it("an unknown kind is a programming error", function()
    has(message_of(function() return args.check("f", 1, 1, "widget") end), "unknown kind 'widget'")
  end)
end)
