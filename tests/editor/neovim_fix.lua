-- Drive a real Neovim (0.7 API): open a buggy file, wait for mgdebug's diagnostics,
-- resolve and apply its quick fix, write the buffer. Exit 0 on success, 2..6 on failure.
-- neovim_attach.lua has opened the file and attached the server.
local bufnr, client_id = _G.MGDEBUG_BUFNR, _G.MGDEBUG_CLIENT

local function ours()
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    -- the first diagnostics may come before the fix search ends; wait for the final ones
    if d.source == "mgdebug" and d.severity == vim.diagnostic.severity.ERROR
      and not d.message:find("searching for a checked fix", 1, true) then
      table.insert(found, d)
    end
  end
  return found
end

if not vim.wait(180000, function() return #ours() > 0 end, 200) then vim.cmd("cquit 3") end

local params = {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  range = { start = { line = 10, character = 0 }, ["end"] = { line = 10, character = 0 } },
  context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, 10) },
}
local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 10000)
local action
for _, response in pairs(responses or {}) do
  for _, candidate in ipairs(response.result or {}) do action = action or candidate end
end
if not action then vim.cmd("cquit 4") end
if not action.edit then
  local client = vim.lsp.get_client_by_id(client_id)
  local resolved = client.request_sync("codeAction/resolve", action, 10000, bufnr)
  if not (resolved and resolved.result and resolved.result.edit) then vim.cmd("cquit 5") end
  action = resolved.result
end
vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
vim.cmd("write")
io.stdout:write("applied: " .. action.title .. "\n")
vim.lsp.stop_client(client_id)
vim.cmd("qall!")
