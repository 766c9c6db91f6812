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
  local ok = os.execute("mkdir -p " .. fs.shell_quote(dir))
  if not ok then
    error("cannot create directory " .. dir, 2)
  end
end

return fs
