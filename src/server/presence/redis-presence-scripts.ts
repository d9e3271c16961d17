// The Lua scripts behind RedisPresence: each presence change is one script, so
// processes never see half an update.

/*
 * Keys (P = prefix):
 *   P presence:nodes             zset  process id -> heartbeat deadline (Redis clock, ms)
 *   P presence:node:<id>         hash  "<room>\n<user>" -> that process's connections
 *   P presence:room:<room>:users zset  user -> join order (the online list, in join order)
 *   P presence:room:<room>:counts hash user -> connections over all processes
 *   P presence:clock             the newest list version (also each user's join order)
 * Each change is one Lua script, so processes never see half an update. Room
 * keys are derived inside the scripts: standalone Redis (or Sentinel), not Cluster.
 */
const LUA_PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function split(field)
  local i = string.find(field, '\\n[^\\n]*$')
  return string.sub(field, 1, i - 1), string.sub(field, i + 1)
end
-- Versions the next change of any list: Redis's clock in microseconds, or one
-- past the newest version if that is ahead. A clock rather than a counter, so
-- versions keep growing when Redis restarts empty.
local function bump(p)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local v = math.max(now, tonumber(redis.call('GET', p .. 'presence:clock') or '0') + 1)
  redis.call('SET', p .. 'presence:clock', string.format('%.0f', v))
  return v
end
local function version(p) return tonumber(redis.call('GET', p .. 'presence:clock') or '0') end
local function users_key(p, room) return p .. 'presence:room:' .. room .. ':users' end
local function counts_key(p, room) return p .. 'presence:room:' .. room .. ':counts' end
-- Adds delta connections to a user's total: 1 if the user appeared, -1 if gone, else 0.
local function adjust(p, room, user, delta)
  local total = redis.call('HINCRBY', counts_key(p, room), user, delta)
  if total <= 0 then
    redis.call('HDEL', counts_key(p, room), user)
    if redis.call('ZREM', users_key(p, room), user) == 1 then bump(p); return -1 end
    return 0
  end
  if total == delta then
    redis.call('ZADD', users_key(p, room), bump(p), user)
    return 1
  end
  return 0
end
-- Applies per-field deltas; per touched room: {room, {users gone}, {users now}}.
local function apply(p, order, delta)
  local rooms, gone = {}, {}
  for _, f in ipairs(order) do
    local room, user = split(f)
    if gone[room] == nil then gone[room] = {}; table.insert(rooms, room) end
    if delta[f] ~= 0 and adjust(p, room, user, delta[f]) == -1 then
      table.insert(gone[room], user)
    end
  end
  local out = {}
  for _, room in ipairs(rooms) do
    table.insert(out, {room, gone[room], redis.call('ZRANGE', users_key(p, room), 0, -1)})
  end
  return out
end
`;

/** ARGV: prefix, node, ttl, room, user -> {change, nodeWasMissing, users, version} */
export const JOIN = `${LUA_PRELUDE}
local p, node, room, user = ARGV[1], ARGV[2], ARGV[4], ARGV[5]
local missing = redis.call('ZADD', p .. 'presence:nodes', now_ms() + tonumber(ARGV[3]), node)
redis.call('HINCRBY', p .. 'presence:node:' .. node, room .. '\\n' .. user, 1)
local change = adjust(p, room, user, 1)
return {change, missing, redis.call('ZRANGE', users_key(p, room), 0, -1), version(p)}
`;

/** ARGV: prefix, node, room, user -> {change, users, version} */
export const LEAVE = `${LUA_PRELUDE}
local p, node, room, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key, field = p .. 'presence:node:' .. node, room .. '\\n' .. user
local mine = tonumber(redis.call('HGET', key, field) or '0')
local change = 0
if mine > 0 then
  if mine == 1 then redis.call('HDEL', key, field) else redis.call('HINCRBY', key, field, -1) end
  change = adjust(p, room, user, -1)
end
return {change, redis.call('ZRANGE', users_key(p, room), 0, -1), version(p)}
`;

/**
 * Refreshes this process's heartbeat and removes processes whose heartbeat expired.
 * ARGV: prefix, node, ttl -> {nodeWasMissing, changes, version}
 */
export const HEARTBEAT = `${LUA_PRELUDE}
local p, node = ARGV[1], ARGV[2]
local nodes, now = p .. 'presence:nodes', now_ms()
local missing = redis.call('ZADD', nodes, now + tonumber(ARGV[3]), node)
local order, delta = {}, {}
for _, dead in ipairs(redis.call('ZRANGEBYSCORE', nodes, '-inf', now, 'LIMIT', 0, 16)) do
  local key = p .. 'presence:node:' .. dead
  local entries = redis.call('HGETALL', key)
  for i = 1, #entries, 2 do
    local f = entries[i]
    if delta[f] == nil then delta[f] = 0; table.insert(order, f) end
    delta[f] = delta[f] - tonumber(entries[i + 1])
  end
  redis.call('DEL', key)
  redis.call('ZREM', nodes, dead)
end
return {missing, apply(p, order, delta), version(p)}
`;

/**
 * Makes Redis agree with this process's own connections (after Redis lost data,
 * missed updates, or swept this process as dead). With no entries and a 0 ttl
 * it withdraws the process. ARGV: prefix, node, ttl, then room, user, count… -> {changes, version}
 */
export const RESYNC = `${LUA_PRELUDE}
local p, node, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = p .. 'presence:node:' .. node
if ttl > 0 then
  redis.call('ZADD', p .. 'presence:nodes', now_ms() + ttl, node)
else
  redis.call('ZREM', p .. 'presence:nodes', node)
end
local order, delta = {}, {}
local current = redis.call('HGETALL', key)
for i = 1, #current, 2 do
  delta[current[i]] = -tonumber(current[i + 1]); table.insert(order, current[i])
end
redis.call('DEL', key)
for i = 4, #ARGV, 3 do
  local f = ARGV[i] .. '\\n' .. ARGV[i + 1]
  if delta[f] == nil then delta[f] = 0; table.insert(order, f) end
  delta[f] = delta[f] + tonumber(ARGV[i + 2])
  redis.call('HSET', key, f, ARGV[i + 2])
end
return {apply(p, order, delta), version(p)}
`;

/** ARGV: prefix, room -> {users, version}: a list read together with its version. */
export const LIST = `${LUA_PRELUDE}
local p = ARGV[1]
return {redis.call('ZRANGE', users_key(p, ARGV[2]), 0, -1), version(p)}
`;
