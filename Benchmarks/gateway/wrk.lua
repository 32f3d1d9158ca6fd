-- Benchmarks/gateway/wrk.lua — the wrk script of Benchmarks/gateway.sh.
--
--   wrk … -s wrk.lua URL                       GET URL
--   wrk … -s wrk.lua URL -- POST BODY [TYPE]   POST BODY (Content-Type TYPE, application/json by default)
--
-- After wrk's usual report it prints one line `WRK_RESULT {…}` (JSON) with the exact figures:
-- requests, duration (µs), bytes, socket errors, responses with a status above 399 (wrk counts
-- those in errors.status) and latency percentiles (µs). No response() callback: parsing every
-- response in Lua would cost wrk CPU on a machine where wrk shares the cores with the server.

-- WRK_PACE_MS=N: each connection waits N ms between requests (a paced run, for latency below
-- saturation); unset, connections send back to back.
local pace = tonumber(os.getenv("WRK_PACE_MS") or "")
if pace then
    function delay()
        return pace
    end
end

function init(args)
    if args[1] == "POST" then
        wrk.method = "POST"
        wrk.body = args[2] or ""
        wrk.headers["Content-Type"] = args[3] or "application/json"
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    local p = function(q) return latency:percentile(q) end
    io.write(string.format(
        'WRK_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
        '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
        '"latency_us": {"mean": %.1f, "stdev": %.1f, "min": %d, "max": %d, ' ..
        '"p50": %d, "p75": %d, "p90": %d, "p99": %d, "p99.9": %d}}\n',
        summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency.mean, latency.stdev, latency.min, latency.max,
        p(50), p(75), p(90), p(99), p(99.9)))
end
