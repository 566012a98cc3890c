-- Drives headless Neovim the way a user would, through the plugin (tests/editors/test_neovim.py):
-- wait for the server and its model, enter insert mode in the function body, wait for the ghost
-- text, accept it with <Tab>, check <Tab>'s fallback, run :HiropeStatus and :checkhealth hirope.
-- It writes what it saw to $HIROPE_RESULT (JSON) and quits, on success, error or timeout.
--
-- Keys must reach Neovim's main loop to be typed, so the steps run in a coroutine that yields
-- (sleeps on a timer) between them.

local env = vim.env
local READY_TIMEOUT_S = tonumber(env.HIROPE_READY_TIMEOUT_S) or 300
local GHOST_TIMEOUT_S = tonumber(env.HIROPE_GHOST_TIMEOUT_S) or 300
local DEADLINE_S = tonumber(env.HIROPE_DEADLINE_S) or 720
local BODY_LINE = tonumber(env.HIROPE_BODY_LINE) or 3 -- 1-based: the function body's blank line

local started = vim.uv.hrtime()
local result = { steps = {}, retriggers = 0, responses = 0 }
local finished = false

local function elapsed()
  return (vim.uv.hrtime() - started) / 1e9
end

local function step(name)
  result.steps[#result.steps + 1] = { name = name, at = elapsed() }
end

local function finish(err)
  if finished then
    return
  end
  finished = true
  result.error = err
  result.elapsed = elapsed()
  result.messages = vim.fn.execute('messages')
  result.lsp_log = vim.lsp.log.get_filename()
  local file = assert(io.open(env.HIROPE_RESULT, 'w'))
  file:write(vim.json.encode(result))
  file:close()
  vim.schedule(function()
    vim.cmd('qall!')
  end)
end

local co

local function resume()
  if finished then
    return
  end
  local ok, err = coroutine.resume(co)
  if not ok then
    finish(debug.traceback(co, tostring(err)))
  elseif coroutine.status(co) == 'dead' then
    finish(nil)
  end
end

local function sleep(ms)
  vim.defer_fn(resume, ms)
  coroutine.yield()
end

local client -- the hirope client, once it runs

--- Poll `check` until it returns a truthy value (returned), or raise after `timeout_s` (or at once
--- if the server has exited).
local function wait_for(what, timeout_s, check, interval_ms)
  local deadline = elapsed() + timeout_s
  while true do
    local value = check()
    if value then
      return value
    end
    if client and client:is_stopped() then
      error(('the server exited while waiting for %s'):format(what), 0)
    end
    if elapsed() > deadline then
      error(('timed out after %d s waiting for %s'):format(timeout_s, what), 0)
    end
    sleep(interval_ms or 100)
  end
end

--- A `wait_for` check: true once no inline-completion request of the client has been in flight for
--- `quiet_s` seconds. Leaving insert mode does not stop the 200 ms debounce of vim.lsp.inline_completion,
--- so a request can still go out just after <Esc>; and in Neovim 0.12-dev a response that arrives after
--- the capability is disabled indexes a nil client state (inline_completion.lua:128), an error that
--- surfaces in whatever waits next (:checkhealth's request_sync). Disable only once settled.
local function inline_settled(quiet_s)
  local since = elapsed()
  return function()
    for _, request in pairs(client.requests) do
      if request.method == 'textDocument/inlineCompletion' then
        since = elapsed()
        return false
      end
    end
    return elapsed() - since >= quiet_s
  end
end

local function feed(keys, mode)
  vim.api.nvim_feedkeys(vim.keycode(keys), mode, false)
end

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, true), '\n')
end

--- The ghost text shown in the buffer (the inline-completion extmark), or nil.
local function ghost(bufnr)
  local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  if not ns then
    return nil
  end
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { details = true })
  if #marks == 0 then
    return nil
  end
  local _, row, col, details = unpack(marks[1])
  local function join(chunks)
    return table.concat(vim.tbl_map(function(chunk)
      return chunk[1]
    end, chunks or {}))
  end
  local lines = { join(details.virt_text) }
  for _, line in ipairs(details.virt_lines or {}) do
    lines[#lines + 1] = join(line)
  end
  return { text = table.concat(lines, '\n'), row = row, col = col, pos = details.virt_text_pos }
end

local function main()
  local hirope = require('hirope')
  local bufnr = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[bufnr].filetype

  vim.api.nvim_create_autocmd('LspRequest', {
    callback = function(args)
      local request = args.data.request
      if request.type == 'complete' and request.method == 'textDocument/inlineCompletion' then
        result.responses = result.responses + 1
      end
    end,
  })

  client = wait_for('the hirope client to attach', 120, function()
    return vim.lsp.get_clients({ name = 'hirope', bufnr = bufnr })[1]
  end)
  step('attached')
  result.server_info = client.server_info
  result.inline_enabled = vim.lsp.inline_completion.is_enabled({ bufnr = bufnr })
  result.tab_map = vim.fn.maparg('<Tab>', 'i', false, true).desc

  -- The model's status, as the hirope/status notifications report it (the plugin's status module).
  local status = wait_for('the model to load', READY_TIMEOUT_S, function()
    local current = hirope.status(client.id)
    return current and current.state ~= 'loading' and current
  end, 200)
  step('model ' .. status.state)
  result.status = status
  result.statusline_ready = hirope.statusline()
  if status.state ~= 'ready' then
    error('the model did not load: ' .. vim.inspect(status), 0)
  end

  -- Insert mode at the end of the body line: vim.lsp.inline_completion requests on InsertEnter.
  result.before = buffer_text(bufnr)
  vim.api.nvim_win_set_cursor(0, { BODY_LINE, 0 })
  feed('A', 'n')
  wait_for('insert mode', 10, function()
    return vim.api.nvim_get_mode().mode == 'i'
  end)
  result.cursor = vim.api.nvim_win_get_cursor(0)
  step('insert mode')

  -- Wait for the ghost text. Should an answer come back empty, ask again (leave and re-enter insert).
  local seen, answered_at = 0, nil
  local shown = wait_for('the ghost text', GHOST_TIMEOUT_S, function()
    local current = ghost(bufnr)
    if current and current.text:match('%S') then
      return current
    end
    if result.responses > seen then
      seen, answered_at = result.responses, elapsed()
    elseif answered_at and elapsed() - answered_at > 2 and result.retriggers < 5 then
      answered_at = nil
      result.retriggers = result.retriggers + 1
      feed('<Esc>A', 'n')
    end
  end, 100)
  step('ghost text')
  result.ghost = shown
  result.mode_at_ghost = vim.api.nvim_get_mode().mode

  -- Accept it through the plugin's keymap (typed, so the mapping applies).
  local before = buffer_text(bufnr)
  feed('<Tab>', 'mt')
  result.after = wait_for('the buffer to change', 20, function()
    local now = buffer_text(bufnr)
    return now ~= before and now
  end)
  step('accepted')
  result.mode_after_accept = vim.api.nvim_get_mode().mode

  -- Without ghost text, <Tab> falls back to a plain <Tab>.
  feed('<Esc>', 'n')
  wait_for('normal mode', 10, function()
    return vim.api.nvim_get_mode().mode == 'n'
  end)
  wait_for('inline completion to settle', 30, inline_settled(0.5))
  step('inline completion settled')
  vim.lsp.inline_completion.enable(false, { bufnr = bufnr })
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(bufnr), 0 })
  feed('o', 'n')
  wait_for('insert mode on a new line', 10, function()
    return vim.api.nvim_get_mode().mode == 'i'
  end)
  local line = vim.api.nvim_get_current_line()
  feed('<Tab>', 'mt')
  result.fallback = {
    before = line,
    after = wait_for('<Tab> to insert whitespace', 10, function()
      local now = vim.api.nvim_get_current_line()
      return now ~= line and now
    end),
  }
  step('fallback')
  feed('<Esc>', 'n')
  wait_for('normal mode', 10, function()
    return vim.api.nvim_get_mode().mode == 'n'
  end)

  result.hirope_status = vim.fn.execute('HiropeStatus')
  result.statusline = hirope.statusline()
  step(':HiropeStatus')

  vim.cmd('checkhealth hirope')
  sleep(100)
  result.health_filetype = vim.bo.filetype
  result.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  step(':checkhealth hirope')
end

vim.defer_fn(function()
  finish(('hard timeout: %d s'):format(DEADLINE_S))
end, DEADLINE_S * 1000)

co = coroutine.create(main)
vim.schedule(resume)
