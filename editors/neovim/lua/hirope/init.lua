--- hirope.nvim: inline code completion (ghost text) from hirope-lsp, a local-model language server.
---
--- ```lua
--- require('hirope').setup({
---   cmd = { 'hirope-lsp', '--stdio' },
---   settings = { model = { spec = 'default' }, prompt = { contextMultiple = 0.25 } },
--- })
--- ```
---
--- Modules: config (options), lsp (registration, attach), inline (ghost text), keymaps,
--- status (`hirope/status`, statusline, `:HiropeStatus`), health (`:checkhealth hirope`).

local config = require('hirope.config')

local M = {}

--- Register the server with `vim.lsp.config`, enable it, and (Neovim 0.12+) turn on ghost text with
--- an accept keymap where it attaches. See `:help hirope-options` for the options.
--- @param opts table?
function M.setup(opts)
  if vim.fn.has('nvim-0.11') == 0 then
    vim.notify('hirope: needs Neovim 0.11 or later (vim.lsp.config)', vim.log.levels.ERROR)
    return
  end
  local options = config.resolve(opts)
  config.set(options)
  local inline = require('hirope.inline')
  if options.inline_completion and not inline.available() and options.notify_version then
    vim.notify_once(
      'hirope: ghost text needs Neovim 0.12 (vim.lsp.inline_completion); on this Neovim the '
        .. 'completions come as completion-menu items (<C-x><C-o>, or your completion plugin).',
      vim.log.levels.WARN
    )
  end
  require('hirope.lsp').register(options)
end

--- Accept the ghost text shown in the current buffer; false when none is shown (for your own maps).
--- @return boolean
function M.accept()
  return require('hirope.inline').accept()
end

--- The last `hirope/status` a server sent (the first running hirope client's by default).
--- @param client_id integer?
--- @return hirope.Status?
function M.status(client_id)
  return require('hirope.status').get(client_id)
end

--- A short statusline text: `hirope ✓ 420ms`, `hirope …`, `hirope ✗`, or '' without a server here.
--- @param bufnr integer?
--- @return string
function M.statusline(bufnr)
  return require('hirope.status').statusline(bufnr)
end

return M
