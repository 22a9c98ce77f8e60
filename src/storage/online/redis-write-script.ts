/**
 * The Redis online store's write, as one Lua script so compare-and-set is atomic per
 * row and a batch of many rows (many keys) is one command.
 *
 * KEYS[i] is the entity hash of row i; ARGV holds four values per row: view, eventTs
 * (decimal string), the compact JSON `{"t":eventTs,"v":{…}}` and `1` to replace whatever
 * is stored (else `0`). A row is written only when it replaces or its eventTs is strictly
 * newer than the hash's `<view>@t` field; rows are applied
 * in order, so a later row of the batch sees an earlier one. Returns how many were
 * written. Epoch milliseconds stay far below 2^53, so Lua's doubles compare them exactly.
 */
export const REDIS_WRITE_SCRIPT = `
local written = 0
for i = 1, #KEYS do
  local a = (i - 1) * 4
  local view = ARGV[a + 1]
  local ts = ARGV[a + 2]
  local tsField = view .. '@t'
  local stored = redis.call('HGET', KEYS[i], tsField)
  if ARGV[a + 4] == '1' or (not stored) or tonumber(ts) > tonumber(stored) then
    redis.call('HSET', KEYS[i], view, ARGV[a + 3], tsField, ts)
    written = written + 1
  end
end
return written
`;

/** Rows per script call: large enough to amortise the call, small enough not to stall Redis. */
export const REDIS_WRITE_BATCH_ROWS = 500;
