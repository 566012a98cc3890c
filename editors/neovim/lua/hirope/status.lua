--- The server's status: `hirope/status`, as a notification (kept per client) and as a request.
---
--- The body is `{model, state = "loading"|"ready"|"error", error, rope, window, split,
--- filesIndexed, lastLatencyMs}`. Each notification fires `User HiropeStatus` (with the status and
--- the client id as `data`) and redraws the statuslines.

local config = require('hirope.config')

local M = {}

M.METHOD = 'hirope/status'

--- @class hirope.Status
--- @field model string
--- @field state 'loading'|'ready'|'error'
--- @field error string?
--- @field rope string
--- @field window integer
--- @field split number?
--- @field filesIndexed integer
--- @field lastLatencyMs number?

--- The last status each client sent, by client id.
--- @type table<integer, hirope.Status>
local by_client = {}

--- Clean JSON nulls (vim.NIL) out of a status.
--- @param raw table
--- @return hirope.Status
local function clean(raw)
  local status = {}
  for key, value in pairs(raw) do
    if value ~= vim.NIL then
      status[key] = value
    end
  end
  return status
end

--- The running hirope clients, those attached to `bufnr` when it is given.
--- @param bufnr integer?
--- @return vim.lsp.Client[]
function M.clients(bufnr)
  local options = config.get()
  local name = options and options.name or config.defaults.name
  return vim.lsp.get_clients({ name = name, bufnr = bufnr })
end

--- `lsp.Handler` for the `hirope/status` notification.
--- @param result table?
--- @param ctx lsp.HandlerContext
function M.handler(_, result, ctx)
  if type(result) ~= 'table' then
    return
  end
  local status = clean(result)
  by_client[ctx.client_id] = status
  vim.api.nvim_exec_autocmds('User', {
    pattern = 'HiropeStatus',
    modeline = false,
    data = { client_id = ctx.client_id, status = status },
  })
  pcall(vim.cmd.redrawstatus, { bang = true })
end

--- Forget a client's status (when it exits).
--- @param client_id integer
function M.forget(client_id)
  by_client[client_id] = nil
end

--- The last status a client sent (the first running hirope client's by default), or nil.
--- @param client_id integer?
--- @return hirope.Status?
function M.get(client_id)
  if client_id then
    return by_client[client_id]
  end
  for _, client in ipairs(M.clients()) do
    if by_client[client.id] then
      return by_client[client.id]
    end
  end
end

--- Ask a client for its status and wait for the answer (at most `timeout_ms`, default 2000).
--- @param client vim.lsp.Client
--- @param timeout_ms integer?
--- @return hirope.Status? status
--- @return string? err
function M.request(client, timeout_ms)
  local response, err = client:request_sync(M.METHOD, {}, timeout_ms or 2000)
  if not response then
    return nil, err or 'no answer'
  end
  if response.err then
    return nil, response.err.message or vim.inspect(response.err)
  end
  if type(response.result) ~= 'table' then
    return nil, 'unexpected answer: ' .. vim.inspect(response.result)
  end
  local status = clean(response.result)
  by_client[client.id] = status
  return status
end

--- One line that describes a status, e.g.
--- `default: ready (hirope, window 8192, split 0.5), 3 files indexed, last completion 420 ms`.
--- @param status hirope.Status
--- @return string
function M.describe(status)
  local text = ('%s: %s'):format(status.model or '?', status.state or '?')
  if status.state == 'error' and status.error then
    return text .. ' (' .. status.error .. ')'
  end
  local rope = status.rope or '?'
  if rope == 'hirope' then
    rope = ('hirope, window %s, split %s'):format(status.window or '?', status.split or 'auto')
  end
  local files = status.filesIndexed or 0
  text = ('%s (%s), %d %s indexed'):format(text, rope, files, files == 1 and 'file' or 'files')
  if status.lastLatencyMs then
    text = text .. (', last completion %d ms'):format(math.floor(status.lastLatencyMs + 0.5))
  end
  return text
end

local SYMBOLS = { loading = '…', ready = '✓', error = '✗' }

--- A short text for a statusline: `hirope ✓` (ready), `hirope …` (loading), `hirope ✗` (error),
--- with the last completion's latency once there is one (`hirope ✓ 420ms`, `hirope ✓ 1.3s`); ''
--- when no hirope client serves `bufnr` (default: the current buffer).
--- @param bufnr integer?
--- @return string
function M.statusline(bufnr)
  local client = M.clients(bufnr or vim.api.nvim_get_current_buf())[1]
  if not client then
    return ''
  end
  local status = by_client[client.id]
  if not status then
    return 'hirope …'
  end
  local text = 'hirope ' .. (SYMBOLS[status.state] or status.state or '?')
  local ms = status.lastLatencyMs
  if status.state == 'ready' and ms then
    text = text .. (ms < 1000 and (' %dms'):format(math.floor(ms + 0.5)) or (' %.1fs'):format(ms / 1000))
  end
  return text
end

--- `:HiropeStatus`: print each running client's status (asked for now, else the last one sent).
function M.show()
  local clients = M.clients()
  if #clients == 0 then
    vim.api.nvim_echo({ { 'hirope: no server running (open a file of a configured filetype)', 'WarningMsg' } }, true, {})
    return
  end
  local chunks = {}
  for index, client in ipairs(clients) do
    local status, err = M.request(client)
    status = status or by_client[client.id]
    local root = client.root_dir or 'no workspace'
    local line
    if status then
      line = ('hirope [%d, %s] %s'):format(client.id, root, M.describe(status))
    else
      line = ('hirope [%d, %s] status unavailable: %s'):format(client.id, root, err)
    end
    local group = status and status.state == 'error' and 'ErrorMsg' or nil
    chunks[#chunks + 1] = { line .. (index < #clients and '\n' or ''), group }
  end
  vim.api.nvim_echo(chunks, true, {})
end

return M
