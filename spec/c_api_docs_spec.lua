-- docs/c_api.md lists every function the public C headers declare, so the C
-- API has no undocumented function either (the Lua side: spec/docs_spec.lua).
local H = require "spec.support.helpers"

local HEADERS = { "core/tensor.h", "core/dtype.h", "core/error.h", "core/storage.h", "core/autograd.h", "core/mien.h",
  "core/autocast.h" }
local DOC = "docs/c_api.md"

-- The functions a header declares (or defines inline): mien_name( at the
-- start of a declaration, comments stripped.
local function declared(text)
  text = text:gsub("/%*.-%*/", ""):gsub("//[^\n]*", "")
  local names, seen = {}, {}
  for decl in text:gmatch("[^;{}]+[;{]") do
    local name = decl:match("[%s%*](mien_[%w_]+)%s*%(")
    if name and not decl:match("typedef") and not seen[name] then
      seen[name] = true
      names[#names + 1] = name
    end
  end
  return names
end

describe("the C API documentation", function()
  it("finds declarations as the headers write them", function()
    assert.are.same({ "mien_a", "mien_b", "mien_d" }, declared(
      "mien_tensor *mien_a(int n); /* mien_c(x) in a comment */\n"
      .. "static inline int mien_b(const mien_tensor *t) { return 0; }\n"
      .. "typedef int (*mien_fn_t)(int);\nvoid mien_d(void);\n"))
  end)

  it("has a line for every function of " .. table.concat(HEADERS, ", "), function()
    local doc = H.read_file(DOC)
    local missing, total = {}, 0
    for _, header in ipairs(HEADERS) do
      for _, name in ipairs(declared(H.read_file(header))) do
        total = total + 1
        if not doc:find("`" .. name .. "(", 1, true) then missing[#missing + 1] = header .. ": " .. name end
      end
    end
    assert.is_true(total > 50, "expected the headers to declare more than 50 functions, found " .. total)
    assert(#missing == 0, #missing .. " functions of the public headers are not in " .. DOC .. ":\n  "
      .. table.concat(missing, "\n  "))
  end)
end)
