--- `:checkhealth hirope`: Neovim's version, the options, the server command and its version, and
--- each running server's model status (asked with the `hirope/status` request).

local config = require('hirope.config')
local inline = require('hirope.inline')
local status = require('hirope.status')

local M = {}

local health = vim.health

--- The server command with `--version` in place of its transport flags.
--- @param cmd string[]
--- @return string[]
local function version_command(cmd)
  local command, skip = {}, false
  for _, arg in ipairs(cmd) do
    if skip then
      skip = false
    elseif arg == '--tcp' then
      skip = true
    elseif arg ~= '--stdio' and not arg:match('^%-%-tcp=') then
      command[#command + 1] = arg
    end
  end
  command[#command + 1] = '--version'
  return command
end

local function check_neovim()
  health.start('hirope: Neovim')
  local version = tostring(vim.version())
  if vim.fn.has('nvim-0.11') == 0 then
    health.error(('Neovim %s: hirope needs 0.11 or later (vim.lsp.config)'):format(version))
    return
  end
  if inline.available() then
    health.ok(('Neovim %s: ghost text through vim.lsp.inline_completion'):format(version))
  else
    health.warn(
      ('Neovim %s: ghost text needs 0.12; completion-menu items work'):format(version),
      { 'Upgrade to Neovim 0.12 for ghost text (textDocument/inlineCompletion)' }
    )
  end
end

--- @return hirope.Options
local function check_setup()
  health.start('hirope: setup')
  local options = config.get()
  if not options then
    health.warn('require("hirope").setup() has not been called: checking the defaults', {
      'Call require("hirope").setup({...}) in your init.lua',
    })
    return config.resolve({})
  end
  health.ok(('setup() called: server "%s" for %s'):format(options.name, table.concat(options.filetypes, ', ')))
  if not vim.lsp.is_enabled or vim.lsp.is_enabled(options.name) then
    health.ok('enabled with vim.lsp.enable()')
  else
    health.warn(('vim.lsp config "%s" is not enabled'):format(options.name), {
      ('vim.lsp.enable("%s")'):format(options.name),
    })
  end
  if options.inline_completion and inline.available() then
    local accept = options.keymaps and options.keymaps.accept
    health.ok(accept and ('ghost text on; %s accepts it'):format(accept) or 'ghost text on; no accept keymap')
  elseif not options.inline_completion then
    health.info('ghost text off (inline_completion = false)')
  end
  return options
end

--- @param options hirope.Options
local function check_server(options)
  health.start('hirope: server')
  local program = options.cmd[1]
  local path = vim.fn.exepath(program)
  if path == '' then
    health.error(('server not found: %s is not an executable'):format(program), {
      'Install hirope-lsp (pip install hirope-lsp, or `make` in its repository)',
      'or point setup({ cmd = { "/path/to/.venv/bin/hirope-lsp", "--stdio" } }) at it',
    })
    return
  end
  health.ok(('server found: %s'):format(path))
  local command = version_command(options.cmd)
  local ok, result = pcall(function()
    return vim.system(command, { text = true }):wait(30000)
  end)
  if not ok then
    health.error(('`%s` failed: %s'):format(table.concat(command, ' '), result))
    return
  end
  local version = (result.stdout or ''):match('hirope%-lsp%s+(%S+)')
  if result.code == 0 and version then
    health.ok(('server version: %s'):format(version))
  else
    health.error(('`%s` exited with %s: %s'):format(
      table.concat(command, ' '),
      tostring(result.code),
      vim.trim((result.stderr or '') .. (result.stdout or ''))
    ))
  end
end

local function check_model()
  health.start('hirope: model')
  local clients = status.clients()
  if #clients == 0 then
    health.info('no server running: open a file of a configured filetype to start one and see its model')
    return
  end
  for _, client in ipairs(clients) do
    local where = ('client %d (%s)'):format(client.id, client.root_dir or 'no workspace')
    local current, err = status.request(client, 5000)
    if not current then
      health.error(('%s: hirope/status failed: %s'):format(where, err))
    elseif current.state == 'ready' then
      health.ok(('%s: %s'):format(where, status.describe(current)))
    elseif current.state == 'loading' then
      health.info(('%s: %s (the first load converts the model, about 20 s)'):format(where, status.describe(current)))
    else
      health.error(('%s: %s'):format(where, status.describe(current)), {
        'Check settings.model.spec; the server log (:LspLog) says more',
      })
    end
  end
end

function M.check()
  check_neovim()
  if vim.fn.has('nvim-0.11') == 0 then
    return
  end
  local options = check_setup()
  check_server(options)
  check_model()
end

return M
