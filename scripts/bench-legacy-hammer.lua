-- bench-legacy.sh's second hammer: wrong passwords, each for a new
-- lowercase username, so no throttle applies and every request costs an
-- argon2id check (bounded by the verifier's slots).
local abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(s)
	local out, pad = {}, (3 - #s % 3) % 3
	s = s .. string.rep("\0", pad)
	for i = 1, #s, 3 do
		local n = s:byte(i) * 65536 + s:byte(i + 1) * 256 + s:byte(i + 2)
		for j = 3, 0, -1 do
			local k = math.floor(n / 64 ^ j) % 64
			out[#out + 1] = abc:sub(k + 1, k + 1)
		end
	end
	local r = table.concat(out)
	return r:sub(1, #r - pad) .. string.rep("=", pad)
end
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
local n = 0
request = function()
	n = n + 1
	local user = string.format("h%08x%d", math.random(0, 0x7fffffff), n)
	return wrk.format("GET", nil, { Authorization = "Basic " .. b64(user .. ":Wrong0password") })
end
