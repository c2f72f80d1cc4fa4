-- wrk script for bench/run-load.sh: the two requests of a field worker (网格员).
--   wrk ... -s tasks.lua URL -- list TOKEN
--       GET /api/v1/tasks?open=1&limit=200 (the field page's task list, web/app/field.js)
--   wrk ... -s tasks.lua URL -- report TOKEN FIRST LAST NTHREADS
--       POST /api/v1/tasks/{id}/move {"to":"reported"} on task ids FIRST..LAST, each id once:
--       thread t (0-based) takes FIRST+t, FIRST+t+NTHREADS, ... Every task starts `received`
--       (bench_serve_setup), so each request is a real state change and a 409 means a bug.
--       When a thread has used its share it sends GET /api/v1/health instead and counts it as
--       "exhausted" (the setup made too few tasks for the rate: rerun with more).
-- done() prints the answers by HTTP status, over all threads.
local threads = {}
local next_id = 0

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local mode, token, first, last, step
counts = {}
exhausted = 0

function init(args)
   mode, token = args[1], args[2]
   wrk.headers["Authorization"] = "Bearer " .. token
   if mode == "report" then
      first, last, step = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
      next_id = first + tid
      wrk.headers["Content-Type"] = "application/json"
   end
end

local body = '{"to":"reported","note":"load benchmark"}'
local list_req

function request()
   if mode == "list" then
      list_req = list_req or wrk.format("GET", "/api/v1/tasks?open=1&limit=200")
      return list_req
   end
   if next_id > last then
      exhausted = exhausted + 1
      return wrk.format("GET", "/api/v1/health")
   end
   local id = next_id
   next_id = next_id + step
   return wrk.format("POST", "/api/v1/tasks/" .. id .. "/move", nil, body)
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local total = {}
   local ex = 0
   for _, t in ipairs(threads) do
      local c = t:get("counts")
      for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
      ex = ex + (t:get("exhausted") or 0)
   end
   local keys = {}
   for k in pairs(total) do table.insert(keys, k) end
   table.sort(keys)
   local parts = {}
   for _, k in ipairs(keys) do table.insert(parts, k .. ": " .. total[k]) end
   io.write(string.format("statuses: %s; exhausted: %d\n", table.concat(parts, ", "), ex))
   io.write(string.format("summary: requests %d, duration_s %.2f, rps %.0f, p50_ms %.2f, p90_ms %.2f, p99_ms %.2f, max_ms %.2f, socket_errors %d\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout +
      summary.errors.status))
end
