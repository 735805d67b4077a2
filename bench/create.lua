-- wrk script: POST /api/v1/items with a name no other request of the run uses.
-- Usage: wrk ... -s bench/create.lua http://127.0.0.1:PORT/api/v1/items -- <run-tag>
-- The run tag keeps names unique across runs against the same database.

local threads = {}
local counter = 0
local tag = "run"

function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_id", #threads)
end

function init(args)
    tag = args[1] or tostring(os.time())
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    counter = counter + 1
    local body = string.format(
        '{"name":"bench-%s-%d-%d","description":"Created by the benchmark.","quantity":%d}',
        tag, thread_id, counter, counter % 100
    )
    return wrk.format(nil, nil, nil, body)
end
