--- mien.train.fit: the training loop researchers would otherwise rewrite in
-- every script: progress, validation, early stopping, checkpoints, resume,
-- NaN guard, history (table, JSONL, CSV) and an HTML report.
local mien = require "mien"
local core = require "mien.core"
local fs = require "mien.util.fs"
local json = require "mien.util.json"
local progress = require "mien.train.progress"
local args = require "mien.util.args"
local errors = require "mien.train.errors"
local resume = require "mien.train.resume"

local train = {}

local function default_loss(out, y) return mien.F.cross_entropy(out, y) end

-- Whether a loss takes the input batch as its third argument: a Lua function
-- with three or more parameters (or ...), or a callable table (a loss
-- module). C functions such as mien.F.cross_entropy take options there.
local function wants_input(fn)
  if type(fn) ~= "function" then return true end
  local info = debug.getinfo(fn, "Su")
  return info.what ~= "C" and (info.nparams >= 3 or info.isvararg)
end

-- y: class indices [B], or target distributions [B,C] (scored by their top class)
local function hard(y) return y:dim() == 2 and y:argmax(2) or y end

-- the number of right predictions, as an int64 scalar on the model's device
local function correct(out, y)
  return out:argmax(2):eq(hard(y)):sum()
end

-- acc + v for running sums kept on the device (acc nil: the first term)
local function add(acc, v) return acc and acc + v or v end

--- Loss, accuracy and (optionally) predictions of model over a loader, in eval
-- mode without gradients. Returns {loss=, acc=, n=, preds=, targets=, probs=}.
-- @param model a module (any callable x -> logits [B,C])
-- @param loader a loader (mien.data.loader or mien.features.loader)
-- @tparam[opt] table opts loss (cross entropy), keep_predictions (false: no preds, targets, probs), epoch (1),
-- precision ("float32"; "bf16": the model runs under mien.autocast)
-- @treturn table loss (mean), acc, n; with keep_predictions also preds {label,...}, targets {label,...}
-- and probs {{p_1..p_C},...} (softmax), all 1-based
-- @usage local r = mien.train.evaluate(model, test_loader, {keep_predictions = true})
-- local cm = mien.metrics.confusion_matrix(r.preds, r.targets, #classes)
function train.evaluate(model, loader, opts)
  args.check("evaluate", 1, model, "callable", "a model")
  args.check("evaluate", 2, loader, "callable", "a loader (mien.data.loader or features.loader)")
  opts = args.options("evaluate", 3, opts, "{loss=, keep_predictions=, epoch=, precision=}")
  local loss_fn = opts.loss or default_loss
  local precision = opts.precision or "float32"
  local with_input = wants_input(loss_fn)
  local was_training = model.training
  model:eval()
  local total, right, n = 0, 0, 0
  local loss_sum, right_sum -- on the device: read once, after the last batch
  local preds, targets, probs = {}, {}, {}
  mien.no_grad(function()
    for x, y in loader(opts.epoch or 1) do
      local out = precision == "float32" and model(x) or mien.autocast(precision, model, x)
      local b = y:size(1)
      local l = with_input and loss_fn(out, y, x) or loss_fn(out, y)
      loss_sum = add(loss_sum, l:double() * b)
      right_sum = add(right_sum, correct(out, y))
      n = n + b
      if opts.keep_predictions then
        local p = mien.F.softmax(out, 2)
        local pt, yt, at = p:totable(), hard(y):totable(), out:argmax(2):totable()
        for i = 1, b do
          preds[#preds + 1], targets[#targets + 1], probs[#probs + 1] = at[i], yt[i], pt[i]
        end
      end
    end
  end)
  if loss_sum then total, right = loss_sum:item(), right_sum:item() end
  if was_training then model:train() end
  return { loss = total / math.max(n, 1), acc = right / math.max(n, 1), n = n,
    preds = preds, targets = targets, probs = probs }
end

local function current_lr(optimizer)
  local g = optimizer.param_groups and optimizer.param_groups[1]
  return g and g.lr or optimizer.lr or 0
end

local function write_history(dir, history)
  local lines, keys = {}, { "epoch", "step", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "images_per_s" }
  for _, row in ipairs(history) do lines[#lines + 1] = json.encode(row) end
  fs.write_atomic(dir .. "/history.jsonl", table.concat(lines, "\n") .. "\n")
  local csv = { table.concat(keys, ",") }
  for _, row in ipairs(history) do
    local cells = {}
    for k, key in ipairs(keys) do cells[k] = row[key] ~= nil and tostring(row[key]) or "" end
    csv[#csv + 1] = table.concat(cells, ",")
  end
  fs.write_atomic(dir .. "/history.csv", table.concat(csv, "\n") .. "\n")
end

-- dir/config.json: what `mien board` shows of a run next to its metrics.
local function write_config(dir, opts, monitor, mode)
  local optimizer = opts.optimizer
  local hyper = {}
  for k, v in pairs(optimizer.defaults or {}) do
    if type(v) == "number" or type(v) == "string" or type(v) == "boolean" then hyper[k] = v end
  end
  hyper.lr = current_lr(optimizer)
  local function size(loader) return type(loader) == "table" and loader.size and loader:size() or nil end
  fs.write_atomic(dir .. "/config.json", json.encode {
    config = opts.config, recipe = opts.recipe, epochs = opts.epochs or 10, monitor = monitor, mode = mode,
    optimizer = { name = optimizer.name, hyper = hyper },
    batch = type(opts.train) == "table" and opts.train.batch or nil,
    train_size = size(opts.train), val_size = size(opts.val),
  } .. "\n")
end

local function is_better(mode, value, best)
  if best == nil then return true end
  if mode == "min" then return value < best end
  return value > best
end

--- opts: model, optimizer, train (loader), val (loader, optional), epochs,
-- loss (fn(out, y), default cross entropy), schedule (step() per epoch, or
-- step(metric) for ReduceLROnPlateau; per_batch=true schedules step per batch),
-- dir (checkpoints, history, report), resume (default true when dir has a
-- checkpoint), early_stopping {monitor="val_loss", patience=, mode=, restore_best=true},
-- callbacks {on_epoch_end=fn(row, state)}, monitor/mode for the best checkpoint,
-- config (the hyper-parameters to show next to the metrics, kept in
-- dir/config.json), errors (default true: with dir and a mien.data.loader as
-- val, write the final model's confusion matrix and most confident mistakes
-- to dir/errors.json and dir/errors/, see mien.train.errors; errors_per_class,
-- default 8), quiet, recipe {script=, opts=, classes=, input={size=, channels=, mean=, std=}}: how
-- to rebuild the model, kept in the checkpoints so `mien eval` and `mien predict`
-- can load them (all fields: mien.train.recipe). dist = true (or {bucket_mb=, sync_batchnorm=}): data-parallel
-- over the processes of an mpirun/srun job (see mien.train.dist). precision = "bf16": the model's forward
-- (and so its backward) runs under mien.autocast("bf16"): conv2d and linear multiply in bf16 and sum in
-- float32; weights, optimizer, batch norm and the loss stay float32.
-- log_every (default 10): the running loss and accuracy are summed on the
-- model's device and read (two :item() calls, which wait for the device) once
-- every log_every batches and at the end of the epoch; that is also when the
-- progress line is redrawn and the NaN guard looks (before that batch's
-- backward pass): log_every = 1 checks every batch.
-- mix (e.g. mien.data.mix{...}): x, y = mix(x, y, step) on every training batch (soft targets).
-- ema (mien.optim.EMA): updated after every optimizer step; validation, the best checkpoint's
-- metric and errors.json use its averaged weights; checkpoints keep it (tensors "ema.<name>").
-- time_limit (seconds): the epoch running when that much time has passed since fit started ends
-- there (validated and checkpointed as usual) and training stops. A loss that is a Lua function of
-- three parameters (or a loss module) is called as loss(out, y, x) in training (e.g. distillation).
-- @tparam table opts model, optimizer, train (required); val, epochs (10), loss, schedule, dir, resume (true),
-- early_stopping, callbacks, dist, monitor ("val_acc" with val, else "train_loss"), mode, quiet (false), recipe,
-- classes, precision ("float32" or "bf16"), log_every (10), mix, ema, time_limit
-- @treturn {table,...} history: per epoch {epoch=, train_loss=, train_acc=, val_loss=, val_acc=, lr=,
-- seconds=, images_per_s=}
-- @usage local history = mien.train.fit {model = net, optimizer = opt, train = loader, val = val_loader, epochs = 20}
function train.fit(opts)
  args.check("fit", 1, opts, "table", "an options table {model=, optimizer=, train=, val=, epochs=, ...}")
  local model = assert(opts.model, "fit: model is required")
  local optimizer = assert(opts.optimizer, "fit: optimizer is required")
  local loader = assert(opts.train, "fit: train loader is required")
  local epochs = opts.epochs or 10
  local log_every = opts.log_every or 10
  assert(math.type(log_every) == "integer" and log_every >= 1, "fit: log_every must be an integer >= 1")
  local loss_fn = opts.loss or default_loss
  local precision = opts.precision or "float32"
  if precision ~= "float32" and precision ~= "bf16" then
    error(string.format("fit: precision must be \"float32\" or \"bf16\", got %s", tostring(precision)), 2)
  end
  local loss_with_input = wants_input(loss_fn)
  local schedule = opts.schedule
  local dir = opts.dir
  local es = opts.early_stopping
  local monitor = (es and es.monitor) or opts.monitor or (opts.val and "val_acc" or "train_loss")
  local mode = (es and es.mode) or opts.mode or (monitor:find("loss") and "min" or "max")
  local dp = opts.dist and require("mien.train.dist").new(opts) -- data-parallel (nil: one process)
  local writes = not dp or dp.is_main -- only rank 0 writes files and progress
  local show = progress.new { quiet = opts.quiet or not writes }
  -- a model script named by a relative path: remember the folder it is
  -- relative to, so that the checkpoint loads from any working directory
  local recipe = opts.recipe
  if recipe and recipe.script and recipe.script:sub(1, 1) ~= "/" and not recipe.script_dir then
    recipe = {}
    for k, v in pairs(opts.recipe) do recipe[k] = v end
    recipe.script_dir = core.realpath(".")
  end
  local callbacks = opts.callbacks or {}
  local mix, ema, time_limit = opts.mix, opts.ema, opts.time_limit
  if time_limit ~= nil and (type(time_limit) ~= "number" or not (time_limit > 0)) then
    error("fit: time_limit must be a positive number of seconds", 2)
  end
  local fit_start = core.now()
  -- with an EMA, evaluation sees the averaged weights
  local function with_weights(fn) if ema then return ema:apply(fn) end return fn() end
  local history, start_epoch, step, best, best_epoch, since_best = {}, 1, 0, nil, nil, 0
  if dir then
    fs.mkdir_p(dir)
    if writes then write_config(dir, opts, monitor, mode) end
    -- hardening: orphans of a killed run go; last.ckpt, else best.ckpt, else an error (see mien.train.resume)
    local removed = writes and resume.clean_orphans(dir) or {}
    if #removed > 0 then
      show:message(string.format("removed %d temporary file(s) a stopped run left in %s: %s", #removed, dir,
        table.concat(removed, ", ")))
    end
    local state = opts.resume ~= false
      and resume.load(dir, { model = model, optimizer = optimizer, schedule = schedule, ema = ema },
        mien.io.load_checkpoint)
    if state then
      history = state.history or {}
      start_epoch = (state.epoch or 0) + 1
      step = state.step or 0
      local extra = state.extra or {}
      best, best_epoch, since_best = extra.best, extra.best_epoch, extra.since_best or 0
      if state.fallback then io.stderr:write("mien.train: " .. state.fallback .. "\n") end
      show:message(string.format("resumed from %s at epoch %d", state.path, start_epoch - 1))
    end
  end
  if dp then dp:broadcast_model() end
  local function save(path, epoch)
    mien.io.save_checkpoint(path, { model = model, optimizer = optimizer, schedule = schedule, ema = ema,
      epoch = epoch, step = step, history = history,
      extra = { best = best, best_epoch = best_epoch, since_best = since_best, recipe = recipe } })
  end
  local stopped, stopped_by_time
  for epoch = start_epoch, epochs do
    model:train()
    local t0 = core.now()
    local total, right, n, b, nb = 0, 0, 0, 0, #loader
    local loss_sum, right_sum, first = nil, nil, 1 -- sums on the device since the epoch began; first unread batch
    -- reads the sums into total and right; a message when the loss is no longer finite
    local function read_sums()
      total, right = loss_sum:item(), right_sum:item()
      local finite = total == total and total ~= math.huge and total ~= -math.huge
      if dp then finite = dp:all_finite(total) end -- every rank stops together
      local unread = first == b and "batch " .. b or string.format("batches %d-%d", first, b)
      first = b + 1
      if finite then return nil end
      return string.format("loss became %s at epoch %d, %s; stopped%s", tostring(total), epoch, unread,
        dir and (", the last good checkpoint is " .. dir .. "/last.ckpt") or "")
    end
    for x, y in loader(epoch) do
      b = b + 1
      if mix then x, y = mix(x, y, step) end
      optimizer:zero_grad()
      -- float32 calls the model directly, so its errors keep their whole traceback
      local out = precision == "float32" and model(x) or mien.autocast(precision, model, x)
      local loss = loss_with_input and loss_fn(out, y, x) or loss_fn(out, y)
      local bs = y:size(1)
      loss_sum = add(loss_sum, loss:detach():double() * bs) -- in double, as the Lua sum it replaces
      right_sum = add(right_sum, correct(out, y))
      n = n + bs
      if b % log_every == 0 or b == nb then
        stopped = read_sums()
        if stopped then break end
        local elapsed = core.now() - t0
        show:batch(epoch, epochs, b, nb, total / n, right / n, n / elapsed, elapsed)
      end
      loss:backward()
      if dp then dp:reduce_gradients() end
      optimizer:step()
      if ema then ema:update() end
      if schedule and schedule.per_batch then schedule:step() end
      step = step + 1
      if time_limit and core.now() - fit_start >= time_limit then
        stopped_by_time = string.format("time limit: %.0f s used of %.0f, stopped after batch %d of epoch %d",
          core.now() - fit_start, time_limit, b, epoch)
        break
      end
    end
    if not stopped and first <= b then stopped = read_sums() end -- a loader that gave more batches than #loader
    if stopped then break end
    local seconds = core.now() - t0
    if dp then total, right, n = dp:sum(total, right, n) end
    local row = { epoch = epoch, step = step, train_loss = total / math.max(n, 1), train_acc = right / math.max(n, 1),
      lr = current_lr(optimizer), seconds = seconds, images_per_s = n / seconds }
    if opts.val then
      local v = with_weights(function() return train.evaluate(model, opts.val, { loss = loss_fn, precision = precision }) end)
      if dp then v = dp:reduce_evaluation(v) end
      row.val_loss, row.val_acc = v.loss, v.acc
    end
    if schedule and not schedule.per_batch then
      if schedule.wants_metric then schedule:step(row[schedule.monitor or monitor] or row.val_loss or row.train_loss)
      else schedule:step() end
    end
    history[#history + 1] = row
    show:epoch(row, epochs)
    local value = row[monitor]
    local improved = value ~= nil and is_better(mode, value, best)
    if improved then best, best_epoch, since_best = value, epoch, 0 else since_best = since_best + 1 end
    if dir and writes then
      if improved then save(dir .. "/best.ckpt", epoch) end
      save(dir .. "/last.ckpt", epoch)
      write_history(dir, history)
    end
    if dp and dir then dp:barrier() end -- the others read rank 0's files only after it wrote them
    if callbacks.on_epoch_end then callbacks.on_epoch_end(row, { epoch = epoch, model = model, history = history }) end
    if stopped_by_time then
      show:message(stopped_by_time)
      break
    end
    if es and since_best >= (es.patience or 5) then
      show:message(string.format("early stopping: %s did not improve for %d epochs (best %.4f at epoch %d)",
        monitor, since_best, best, best_epoch))
      break
    end
  end
  if stopped then show:message(stopped) end
  if es and es.restore_best ~= false and dir and best_epoch and fs.exists(dir .. "/best.ckpt") then
    mien.io.load_checkpoint(dir .. "/best.ckpt", { model = model, ema = ema })
  end
  if dir and writes and opts.val and opts.errors ~= false and not stopped and #history > 0 then
    -- Only a view for `mien board`: a model or data it does not fit must not fail the training.
    local ok, err = pcall(function()
      local found = with_weights(function() return errors.collect(model, opts.val, { per_class = opts.errors_per_class,
        classes = opts.recipe and opts.recipe.classes }) end)
      if found then errors.write(dir, found) end
    end)
    if not ok then show:message("errors.json not written: " .. tostring(err)) end
  end
  return history, { best = best, best_epoch = best_epoch, monitor = monitor, stopped = stopped, step = step,
    stopped_by_time = stopped_by_time, seconds = core.now() - fit_start }
end

return train
