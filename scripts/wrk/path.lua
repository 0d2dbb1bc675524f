-- GET PATH_TO_GET (a path with its query string) again and again; TOKEN is sent when set.
local path = os.getenv("PATH_TO_GET") or "/health/live"
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
function request()
  return wrk.format("GET", path)
end
