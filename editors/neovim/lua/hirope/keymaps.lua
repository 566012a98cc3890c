--- Insert-mode keymaps, buffer-local, set where the server attaches.

local inline = require('hirope.inline')

local M = {}

--- @param bufnr integer
--- @param keymaps hirope.Keymaps
function M.attach(bufnr, keymaps)
  if keymaps.accept then
    local key = keymaps.accept
    vim.keymap.set('i', key, function()
      if inline.accept() then
        return ''
      end
      return key -- nothing shown: the key does what it does without this map (Tab inserts a tab)
    end, { buffer = bufnr, expr = true, replace_keycodes = true, desc = 'hirope: accept the ghost text' })
  end
  if keymaps.next then
    vim.keymap.set('i', keymaps.next, function()
      inline.select(1)
    end, { buffer = bufnr, desc = 'hirope: next ghost text candidate' })
  end
  if keymaps.prev then
    vim.keymap.set('i', keymaps.prev, function()
      inline.select(-1)
    end, { buffer = bufnr, desc = 'hirope: previous ghost text candidate' })
  end
end

return M
