--- Accept either a plain Lua table or a value with a :totable() method
-- (e.g. a mien tensor) and return a plain table.
return function(x)
  if type(x) ~= "table" and type(x) ~= "userdata" then
    return x
  end
  if x.totable then
    return x:totable()
  end
  return x
end
