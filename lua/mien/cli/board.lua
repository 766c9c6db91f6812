--- mien board DIR... [--out board.html] [--watch N]: one HTML page comparing runs and sweeps.
return {
  summary = "Compare runs and sweeps on one self-contained HTML page.",
  configure = function(command)
    command:argument("dirs", "Run or sweep folders, or folders holding them."):args("+")
    command:option("--out", "The page to write.", "board.html")
    command:option("--watch", "Rewrite the page every N seconds (it reloads itself) until interrupted.", nil, tonumber)
    command:option("--mistakes", "Most confident mistakes shown per class and run.", "6", math.tointeger)
    command:option("--title", "Page title.", "mien board")
  end,
  main = function(a)
    local board = require "mien.board"
    local opts = { out = a.out, watch = a.watch, mistakes = a.mistakes, title = a.title }
    local function report(path, stats, warnings)
      for _, w in ipairs(warnings) do io.stderr:write("mien board: ", w, "\n") end
      local function n(k, what) return string.format("%d %s%s", k, what, k == 1 and "" or "s") end
      print(string.format("%s%s: %s, %s, %s, %.1f kB", a.watch and os.date("%H:%M:%S ") or "", path,
        n(stats.runs, "run"), n(stats.sweeps, "sweep"), n(stats.images, "image"), stats.bytes / 1000))
    end
    if a.watch then
      opts.on_write = report
      board.watch(a.dirs, opts)
    else
      report(board.write(a.dirs, opts))
    end
  end,
}
