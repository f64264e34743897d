-- wrk script: replay pre-built requests from a file, each once, in order.
-- Line format: METHOD \t PATH \t BODY \t Header: value|Header: value
-- Usage: wrk -t1 -cN -dDs -s bench/requests.lua URL -- FILE
local prepared = {}
local index = 0
local wrapped = 0

local function split(text, sep)
  local out = {}
  for piece in string.gmatch(text, "([^" .. sep .. "]*)") do
    table.insert(out, piece)
  end
  return out
end

init = function(args)
  for line in io.lines(args[1]) do
    local method, path, body, header_text = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
    local headers = {}
    if header_text and header_text ~= "" then
      for _, pair in ipairs(split(header_text, "|")) do
        local name, value = pair:match("^([^:]+):%s*(.*)$")
        if name then headers[name] = value end
      end
    end
    table.insert(prepared, wrk.format(method, path, headers, body))
  end
end

request = function()
  index = index + 1
  if index > #prepared then
    index = 1
    wrapped = wrapped + 1
  end
  return prepared[index]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
