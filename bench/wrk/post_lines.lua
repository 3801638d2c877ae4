-- POST a SIM swap check on a random line among LINES_COUNT generated ones (+3460<8 digits>,
-- from LINES_FROM): every request a line of its own, so the server's in-memory facts miss and
-- the store is read. AUTH comes from the environment.
local from = tonumber(os.getenv("LINES_FROM") or "0")
local count = tonumber(os.getenv("LINES_COUNT") or "1")
local headers = { ["Content-Type"] = "application/json" }
local auth = os.getenv("AUTH")
if auth and auth ~= "" then headers["Authorization"] = auth end
math.randomseed(os.time())

request = function()
  local line = from + math.random(0, count - 1)
  local body = string.format('{"phoneNumber":"+3460%08d","maxAge":240}', line)
  return wrk.format("POST", nil, headers, body)
end
