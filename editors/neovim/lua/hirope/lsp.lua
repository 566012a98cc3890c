--- The server's registration with `vim.lsp.config` / `vim.lsp.enable`, and what happens when it
--- attaches to a buffer (ghost text, menu completion, keymaps).

local inline = require('hirope.inline')
local keymaps = require('hirope.keymaps')
local status = require('hirope.status')

local M = {}

--- A copy of `value` that encodes as a JSON object where it is an empty table (vim.json encodes
--- `{}` as an array, which the server would reject as settings).
--- @param value any
--- @return any
local function as_object(value)
  if type(value) ~= 'table' or value == vim.NIL then
    return value
  end
  if next(value) == nil then
    return vim.empty_dict()
  end
  if vim.islist(value) then
    return vim.tbl_map(as_object, value)
  end
  local copy = {}
  for key, item in pairs(value) do
    copy[key] = as_object(item)
  end
  return copy
end

--- The vim.lsp config for the options.
--- @param options hirope.Options
--- @return vim.lsp.Config
function M.client_config(options)
  return {
    cmd = options.cmd,
    filetypes = options.filetypes,
    root_markers = options.root_markers,
    init_options = as_object(options.settings),
    handlers = { [status.METHOD] = status.handler },
  }
end

--- Whether the completion menu is on for the options (by default: where ghost text is unavailable).
--- @param options hirope.Options
--- @return boolean
function M.menu_enabled(options)
  if options.menu_completion == nil then
    return not (options.inline_completion and inline.available())
  end
  return options.menu_completion
end

--- @param options hirope.Options
--- @param client vim.lsp.Client
--- @param bufnr integer
local function on_attach(options, client, bufnr)
  if options.inline_completion and inline.available() then
    inline.enable(bufnr)
    if options.keymaps then
      keymaps.attach(bufnr, options.keymaps)
    end
  end
  if M.menu_enabled(options) and vim.lsp.completion then
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = false })
  end
end

--- Register the server and enable it for the configured filetypes.
--- @param options hirope.Options
function M.register(options)
  local group = vim.api.nvim_create_augroup('hirope', { clear = true })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    desc = 'hirope: ghost text, menu completion and keymaps where the server attaches',
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == options.name then
        on_attach(options, client, args.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd('LspDetach', {
    group = group,
    desc = 'hirope: forget the status of a server that stopped',
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == options.name and client:is_stopped() then
        status.forget(client.id)
      end
    end,
  })
  vim.lsp.config(options.name, M.client_config(options))
  vim.lsp.enable(options.name)
end

return M
