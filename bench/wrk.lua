-- wrk script for Tenantry's benchmark (bench/run.sh).
--
-- The request comes from the environment, so one script serves every run:
--   WRK_METHOD  GET (default) or POST
--   WRK_BODY    request body; when set, Content-Type: application/json is sent
-- Other headers (Authorization) are passed with wrk's -H.
--
-- When the run is over it prints one machine-readable line:
--   RESULT requests=N seconds=S rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. non2xx=N errors=N
-- where errors counts socket connect/read/write errors and timeouts, and non2xx counts answers
-- with a status >= 400 (wrk's "Non-2xx or 3xx responses").

local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")

wrk.method = method
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
