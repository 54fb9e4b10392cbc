-- Replay pre-signed webhooks from bench/load_wrk.py: one file, one connection per wrk thread,
-- so that an SMS intake's texts arrive in order. Checks each answer's body; prints JSON.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local folder = os.getenv("WRK_REQUESTS")
  local prefix = os.getenv("WRK_PREFIX") or ""
  paths, signatures, expects, bodies = {}, {}, {}, {}
  n = 0
  for line in io.lines(folder .. "/" .. prefix .. "requests-" .. id .. ".tsv") do
    local path, signature, expect, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if path then
      n = n + 1
      paths[n], signatures[n], expects[n], bodies[n] = path, signature, expect, body
    end
  end
  i, bad, wrapped = 1, 0, 0
end

-- wrk may build a request and not send it (it does at a connection's start), so the next
-- line is taken only once an answer has come: no text of an intake is ever skipped.
function request()
  return wrk.format("POST", paths[i], {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = signatures[i],
    ["User-Agent"] = "TwilioProxy/1.1",
  }, bodies[i])
end

function response(status, headers, body)
  local expect = expects[i]
  i = i + 1
  if i > n then
    i, wrapped = 1, wrapped + 1 -- reused: bench/load_wrk.py writes more than a run needs
  end
  -- A 200 that is not the expected TwiML (the fail-open fallback, say) is an error too.
  if status == 200 and expect and not string.find(body, expect, 1, true) then
    bad = bad + 1
    if not sample then
      sample = string.format("expected %q in %q", expect, string.sub(body, 1, 160))
    end
  end
end

function done(summary, latency, requests)
  local bad_total, wrapped_total, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    wrapped_total = wrapped_total + thread:get("wrapped")
    if first == "" and thread:get("sample") then
      first = thread:get("sample")
    end
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout + bad_total
  local parts = {}
  for _, p in ipairs({50, 90, 95, 99}) do
    table.insert(parts, string.format('"%d": %.3f', p, latency:percentile(p) / 1000))
  end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": %d, "percentiles_ms": {%s}, '
      .. '"error_kinds": {"connect": %d, "read": %d, "write": %d, "status": %d, '
      .. '"timeout": %d, "unexpected_body": %d, "files_reused": %d}, "sample": %q}\n',
    summary.requests, summary.duration / 1e6, errors, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.status, e.timeout, bad_total, wrapped_total, first))
end
