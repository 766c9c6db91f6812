-- Every public function and module under lua/mien has an LDoc doc comment
-- (the definition of "public" is in spec/support/doc_scan.lua), so the API
-- reference that scripts/docs.sh builds has no gaps.
local scan = require "spec.support.doc_scan"

describe("doc comments", function()
  it("the scanner tells documented, undocumented and private functions apart", function()
    local fns = scan.functions(table.concat({
      "--- Documented.",
      "-- @param x a number",
      "function M.documented(x) end",
      "-- plain comment only",
      "function M.plain() end",
      "",
      "function Class:method() end",
      "M.assigned = function() end",
      "function M._private() end",
      "local function helper() end",
      "  function M.nested() end",
      "local s = [[",
      "function M.in_string() end",
      "]]",
      "--- A method.",
      "function M.sub.deep:method() end",
      "--[[ a block comment",
      "function M.commented_out() end",
      "]]",
      "--[[-- An LDoc block",
      "  comment. ]]",
      "function M.block_documented() end",
      "---@param x number",
      "function M.annotated(x) end",
      "-------------------------------",
      "function M.under_a_rule() end",
    }, "\n"))
    local got = {}
    for _, f in ipairs(fns) do got[#got + 1] = f.name .. "@" .. f.line .. "=" .. tostring(f.documented) end
    assert.are.same({ "M.documented@3=true", "M.plain@5=false", "Class:method@7=false",
      "M.assigned@8=false", "M.sub.deep:method@16=true", "M.block_documented@22=true", "M.annotated@24=true",
      "M.under_a_rule@26=false" }, got)
    assert.is_true(scan.has_module_comment("#!/usr/bin/env lua\n\n--- The module.\nlocal M = {}"))
    assert.is_false(scan.has_module_comment("-- The module.\nlocal M = {}"))
  end)

  it("every public function and module in lua/mien has one", function()
    local missing = scan.undocumented("lua/mien")
    assert(#missing == 0, #missing .. " public functions or modules without an LDoc doc comment"
      .. " (\"--- Summary.\" on the line above; see scripts/docs.sh):\n  " .. table.concat(missing, "\n  "))
  end)
end)
