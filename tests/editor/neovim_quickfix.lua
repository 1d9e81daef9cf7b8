-- Driven by tests/test_editor_neovim.py: Neovim's own LSP client against `asynclint server`.
-- Opens the buffer given on the command line, waits for ASL101, applies the preferred code
-- action through Neovim's workspace-edit code, and checks the buffer. Writes what it saw to $RESULT.
local out = assert(io.open(vim.env.RESULT, "w"))
local function finish(msg, code)
  out:write(msg .. "\n")
  out:close()
  vim.cmd((code == 0) and "qa!" or "cq!")
end
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "asynclint",
  cmd = { vim.env.PYTHON, "-m", "asynclint", "server" },
  root_dir = vim.fn.getcwd(),
})
if not client_id then return finish("could not start the server", 1) end
vim.lsp.buf_attach_client(buf, client_id)
if not vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 50) then
  return finish("no diagnostics", 1)
end
local first = vim.diagnostic.get(buf)[1]
out:write("diagnostic " .. tostring(first.code) .. " line " .. first.lnum .. "\n")
-- The diagnostics as the server sent them (Neovim 0.7 keeps them per line; later ones in user_data).
local lsp_diags
if vim.lsp.diagnostic.get_line_diagnostics then
  lsp_diags = vim.lsp.diagnostic.get_line_diagnostics(buf, first.lnum)
else
  lsp_diags = vim.tbl_map(function(x) return x.user_data.lsp end, vim.diagnostic.get(buf, { lnum = first.lnum }))
end
local params = vim.lsp.util.make_range_params()
params.range = lsp_diags[1].range
params.context = { diagnostics = lsp_diags }
local chosen
for _, response in pairs(vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 30000) or {}) do
  for _, action in ipairs(response.result or {}) do
    if action.isPreferred then chosen = action end
  end
end
if not chosen then return finish("no preferred code action", 1) end
out:write("action " .. chosen.title .. "\n")
vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
local line = vim.api.nvim_buf_get_lines(buf, first.lnum, first.lnum + 1, false)[1]
out:write("line " .. line .. "\n")
if not vim.wait(30000, function() return #vim.diagnostic.get(buf) == 0 end, 50) then
  return finish("diagnostic not cleared", 1)
end
finish("cleared", 0)
