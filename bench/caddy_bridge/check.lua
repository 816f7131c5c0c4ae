-- wrk script: counts answers with the expected status and X-Gw502-Cause.
-- wrk -s check.lua URL -- STATUS CAUSE   (CAUSE "-" means: no such header)
-- Prints one line "GW502 good=N bad=M first_bad=..." at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  want_status = tonumber(args[1])
  want_cause = args[2]
  good, bad, first_bad = 0, 0, ""
end

function response(status, headers, body)
  local cause = headers["X-Gw502-Cause"]
  local ok = status == want_status
  if want_cause == "-" then ok = ok and cause == nil else ok = ok and cause == want_cause end
  if ok then
    good = good + 1
  else
    bad = bad + 1
    if first_bad == "" then first_bad = tostring(status) .. "/" .. tostring(cause) end
  end
end

function done(summary, latency, requests)
  local g, b, f = 0, 0, ""
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
    if f == "" then f = t:get("first_bad") end
  end
  io.write(string.format("GW502 good=%d bad=%d first_bad=%s\n", g, b, f))
end
