-- tools/bench all: wrk's own latency percentiles, p99.9 included (wrk
-- --latency prints up to p99 only).  wrk is closed-loop: at saturation these
-- are the latencies of the requests it managed to send, not of a timetable
-- (tools/lib/bench_load.py openloop measures those).
done = function(summary, latency, requests)
	io.write(string.format("pct p50_us=%d p99_us=%d p999_us=%d max_us=%d\n",
		latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
