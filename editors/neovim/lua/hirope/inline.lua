--- Ghost text: Neovim's native inline completion (`vim.lsp.inline_completion`, Neovim 0.12+).

local M = {}

--- Whether this Neovim has `vim.lsp.inline_completion`.
--- @return boolean
function M.available()
  if vim.fn.has('nvim-0.12') == 0 then
    return false
  end
  local ok = pcall(require, 'vim.lsp.inline_completion')
  return ok
end

--- Show ghost text in a buffer (requests start in insert mode, once a supporting client attaches).
--- @param bufnr integer
function M.enable(bufnr)
  vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
end

--- Accept the ghost text shown in the current buffer.
--- @return boolean accepted false when none is shown (or ghost text is unavailable)
function M.accept()
  if not M.available() then
    return false
  end
  return vim.lsp.inline_completion.get()
end

--- Show the next (`count` > 0) or previous (`count` < 0) candidate, if any is shown.
--- @param count integer
function M.select(count)
  if M.available() then
    vim.lsp.inline_completion.select({ count = count })
  end
end

return M
