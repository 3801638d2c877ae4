-- CIBA flow: POST /bc-authorize, then the first /token poll with the auth_req_id it returned.
-- Every flow is two requests; run.sh reports flows/s = requests/s / 2.
local auth = os.getenv("AUTH")
local hint = os.getenv("LOGIN_HINT") or "tel:%2B34629255833"
local scope = os.getenv("SCOPE") or "openid%20dpv%3AFraudPreventionAndDetection%23sim-swap"
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = auth }
local pending = {}

request = function()
  local id = table.remove(pending)
  if id then
    return wrk.format("POST", "/token", headers, "grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id=" .. id)
  end
  return wrk.format("POST", "/bc-authorize", headers, "login_hint=" .. hint .. "&scope=" .. scope)
end

response = function(status, _, body)
  local id = body:match('"auth_req_id"%s*:%s*"([^"]+)"')
  if id then table.insert(pending, id) end
end
