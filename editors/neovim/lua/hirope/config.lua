--- Options of `require("hirope").setup()`: their defaults, validation and merging.
---
--- Every option is optional; `setup({})` (or `setup()`) uses the defaults below.

local M = {}

--- @class hirope.Keymaps
--- @field accept string|false Insert-mode key that accepts the ghost text (else types itself).
--- @field next string|false Insert-mode key for the next candidate.
--- @field prev string|false Insert-mode key for the previous candidate.

--- @class hirope.Options
--- @field name string Name of the vim.lsp config (`vim.lsp.config[name]`, `:checkhealth vim.lsp`).
--- @field cmd string[] Command that starts the server over stdio.
--- @field filetypes string[] Filetypes the server attaches to.
--- @field root_markers (string|string[])[] Files or directories that mark the workspace root.
--- @field settings table The server's settings (`initializationOptions`), camelCase keys.
--- @field inline_completion boolean Ghost text through `vim.lsp.inline_completion` (Neovim 0.12+).
--- @field menu_completion boolean? Offer the completion as a menu item too (`vim.lsp.completion`);
---   nil: only where ghost text is unavailable (Neovim 0.11).
--- @field keymaps hirope.Keymaps|false Insert-mode keymaps, set in buffers the server attaches to.
--- @field notify_version boolean On Neovim 0.11, say once that ghost text needs 0.12.

--- @type hirope.Options
M.defaults = {
  name = 'hirope',
  cmd = { 'hirope-lsp', '--stdio' },
  filetypes = {
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'go',
    'rust',
    'java',
    'c',
    'cpp',
  },
  root_markers = { '.git' },
  settings = {},
  inline_completion = true,
  menu_completion = nil,
  keymaps = {
    accept = '<Tab>',
    next = '<M-]>',
    prev = '<M-[>',
  },
  notify_version = true,
}

--- @type hirope.Options?
local current = nil

local function is_key(value)
  return value == false or (type(value) == 'string' and value ~= '')
end

local function is_list_of_strings(value)
  if type(value) ~= 'table' or not vim.islist(value) then
    return false
  end
  for _, item in ipairs(value) do
    if type(item) ~= 'string' then
      return false
    end
  end
  return true
end

--- The options from the defaults and `opts`; raises an error naming the first invalid one.
--- @param opts table?
--- @return hirope.Options
function M.resolve(opts)
  vim.validate('opts', opts, 'table', true)
  opts = opts or {}
  local keymaps = opts.keymaps
  if keymaps ~= nil and keymaps ~= false and type(keymaps) ~= 'table' then
    error('hirope: keymaps must be a table or false', 0)
  end
  -- Lists replace the defaults rather than merge index by index.
  local merged = vim.tbl_extend('force', vim.deepcopy(M.defaults), opts)
  if type(keymaps) == 'table' then
    merged.keymaps = vim.tbl_extend('force', vim.deepcopy(M.defaults.keymaps), keymaps)
  end

  local checks = {
    name = { merged.name, 'string' },
    cmd = { merged.cmd, is_list_of_strings, 'a list of strings' },
    filetypes = { merged.filetypes, is_list_of_strings, 'a list of strings' },
    root_markers = { merged.root_markers, 'table' },
    settings = { merged.settings, 'table' },
    inline_completion = { merged.inline_completion, 'boolean' },
    menu_completion = { merged.menu_completion, { 'boolean', 'nil' } },
    notify_version = { merged.notify_version, 'boolean' },
  }
  for name, check in pairs(checks) do
    local ok, err = pcall(vim.validate, name, check[1], check[2], check[3])
    if not ok then
      error('hirope: ' .. tostring(err), 0)
    end
  end
  if #merged.cmd == 0 then
    error('hirope: cmd must name a program', 0)
  end
  if merged.keymaps then
    for name, key in pairs(merged.keymaps) do
      if M.defaults.keymaps[name] == nil then
        error(('hirope: keymaps.%s: unknown keymap'):format(name), 0)
      end
      if not is_key(key) then
        error(('hirope: keymaps.%s must be a key (string) or false'):format(name), 0)
      end
    end
  end
  return merged
end

--- Remember the options `setup()` resolved.
--- @param options hirope.Options
function M.set(options)
  current = options
end

--- The options `setup()` resolved, or nil before `setup()`.
--- @return hirope.Options?
function M.get()
  return current
end

return M
