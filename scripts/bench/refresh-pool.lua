-- wrk script for `npm run bench:api`: POST /v1/auth/refresh, each request spending one refresh
-- token from a pool that was never used (one seeded session each), so every request rotates a
-- live token: lookup, transaction with row locks, update, insert, commit.
--
-- Arguments (after `--`): <tokens file, one per line> <first line to use, 0-based> <threads>.
-- Threads take disjoint slices (line i goes to thread i mod threads). A thread that runs out
-- sends a token that does not exist: its 401s show up as non-2xx, never as a silent reuse.
-- done() prints "POOL issued=<n> exhausted=<m>" so the caller can move the offset past every
-- token handed out, answered or not.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads - 1)
end

tokens = {}
position = 1
issued = 0
exhausted = 0

function init(args)
  local path = args[1]
  local first = tonumber(args[2] or "0")
  local count = tonumber(args[3] or "1")
  local index = thread_index or 0
  local line = 0
  for token in io.lines(path) do
    if line >= first and (line - first) % count == index then
      tokens[#tokens + 1] = token
    end
    line = line + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local token = tokens[position]
  if token == nil then
    exhausted = exhausted + 1
    token = "bench-refresh-pool-exhausted"
  else
    position = position + 1
    issued = issued + 1
  end
  return wrk.format(nil, nil, nil, '{"refreshToken":"' .. token .. '"}')
end

function done(summary, latency, requests)
  local total_issued, total_exhausted = 0, 0
  for _, thread in ipairs(threads) do
    total_issued = total_issued + (thread:get("issued") or 0)
    total_exhausted = total_exhausted + (thread:get("exhausted") or 0)
  end
  io.write(string.format("POOL issued=%d exhausted=%d\n", total_issued, total_exhausted))
end
