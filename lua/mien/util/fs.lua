--- Filesystem helpers on plain Lua io/os (no lfs): atomic writes, mkdir -p,
-- whole-file reads and shell quoting for os.execute.
local fs = {}

--- s quoted for a POSIX shell.
-- @param s
-- @treturn string
function fs.shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Whether a file exists and can be opened for reading.
-- @tparam string path
-- @treturn boolean
function fs.exists(path)
  local f = io.open(path, "rb")
  if f then
    f:close()
    return true
  end
  return false
end

--- The whole content of a file.
-- @tparam string path
-- @treturn string|nil the bytes, or nil and the error message
function fs.read(path)
  local f, err = io.open(path, "rb")
  if not f then
    return nil, err
  end
  local s = f:read("a")
  f:close()
  return s
end

--- Write to path..".tmp" and rename over path, so readers never see a
-- partially written file (rename is atomic within one filesystem).
function fs.write_atomic(path, content)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then
    error("cannot write " .. tmp .. ": " .. tostring(err), 2)
  end
  f:write(content)
  f:close()
  local ok, rerr = os.rename(tmp, path)
  if not ok then
    error("cannot rename " .. tmp .. " to " .. path .. ": " .. tostring(rerr), 2)
  end
end

--- Create a folder and its parents (mkdir -p); an error when that fails.
-- @tparam string dir
function fs.mkdir_p(dir)
  local has_core, core = pcall(require, "mien.core")
  if has_core and core.is_dir(dir) then return end -- no shell for a folder that exists
  local ok = os.execute("mkdir -p " .. fs.shell_quote(dir))
  if not ok then
    error("cannot create directory " .. dir, 2)
  end
end

-- Lexically normalised relative path: "." and empty parts dropped, "a/.."
-- folded; returns the parts and whether a ".." climbed above the start.
local function normalise(rel)
  local parts, escaped = {}, false
  for part in rel:gmatch("[^/]+") do
    if part == ".." then
      if #parts > 0 then parts[#parts] = nil else escaped = true end
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return parts, escaped
end

--- The path of a file named inside data (a manifest, a labels.csv, a sweep
-- file), refusing one that leaves its folder: an absolute name, a ".." that
-- climbs above the folder, or a symbolic link that resolves outside it.
-- @string folder the folder the name is relative to
-- @string name the file name as the data gives it
-- @tparam[opt] table opts
--   `allow_outside` (false): accept any name (an absolute one as it is);
--   `what` ("a file"): what names the path, for the error, e.g. "manifest 'x.json'"
-- @treturn string folder .. "/" .. name
-- @raise "<what>: path '<name>' escapes its folder '<folder>' ..." naming both
-- @usage local shard = fs.inside(dir, group.paths[1], {what = "manifest " .. path})
function fs.inside(folder, name, opts)
  opts = opts or {}
  if type(name) ~= "string" or name == "" then
    error(string.format("%s: a path must be a non-empty string, got %s", opts.what or "a file", tostring(name)), 0)
  end
  if name:find("\0", 1, true) then
    error(string.format("%s: path '%s' contains a NUL byte", opts.what or "a file", (name:gsub("\0", "\\0"))), 0)
  end
  if opts.allow_outside then
    if name:sub(1, 1) == "/" then return name end
    return (folder:sub(-1) == "/" and folder or folder .. "/") .. name
  end
  local _, escaped = normalise(name)
  local joined = (folder:sub(-1) == "/" and folder or folder .. "/") .. name
  local why
  if name:sub(1, 1) == "/" then
    why = "is absolute"
  elseif escaped then
    why = "climbs out with '..'"
  else
    -- a link inside the folder may still point elsewhere: compare real paths
    local ok, core = pcall(require, "mien.core")
    local real_dir = ok and core.realpath(folder)
    local real = real_dir and core.realpath(joined)
    if real and real ~= real_dir and real:sub(1, #real_dir + 1) ~= (real_dir == "/" and "/" or real_dir .. "/") then
      why = "resolves to '" .. real .. "'"
    end
  end
  if why then
    error(string.format("%s: path '%s' escapes its folder '%s' (it %s); pass allow_outside = true to read it anyway",
      opts.what or "a file", name, folder, why), 0)
  end
  return joined
end

return fs
