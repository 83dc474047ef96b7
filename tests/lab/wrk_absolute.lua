-- wrk_absolute.lua: make wrk drive an HTTP forward proxy.
--
-- wrk connects to the address of the URL it is given on its command line;
-- give it the proxy's ("http://198.18.N.1:3128/").  Every request this script
-- makes is in absolute form (RFC 9112 3.2.2), the form a client sends to a
-- forward proxy, with the Host header of the target:
--
--   GET http://origin.lab.test/1k.bin HTTP/1.1
--   Host: origin.lab.test
--
-- The target URL, first found wins:
--   wrk ... -s wrk_absolute.lua http://PROXY:3128/ -- http://origin.lab.test/1k.bin
--   WRK_TARGET=http://origin.lab.test/1k.bin wrk ... -s wrk_absolute.lua http://PROXY:3128/
--   default http://origin.lab.test/1k.bin
-- WRK_HOST overrides the Host header (default: the target's authority),
-- WRK_METHOD the method (default GET).  Keep-alive is wrk's: HTTP/1.1
-- requests on persistent connections, pipelining off.

local default_target = "http://origin.lab.test/1k.bin"

local function parse(url)
   local scheme, authority, path = string.match(url, "^(%a[%w+.-]*)://([^/?#]+)(.*)$")
   if not scheme then
      error("wrk_absolute.lua: target must be an absolute URL (http://host[:port]/path), got '" .. url .. "'")
   end
   if path == "" then
      path = "/"
   end
   return scheme, authority, path
end

function init(args)
   local target = args[1] or os.getenv("WRK_TARGET") or default_target
   local scheme, authority, path = parse(target)
   wrk.method = os.getenv("WRK_METHOD") or "GET"
   -- The request target is the whole URL; wrk.format writes it verbatim.
   wrk.path = scheme .. "://" .. authority .. path
   wrk.headers["Host"] = os.getenv("WRK_HOST") or authority
   -- wrk.init (wrk's own, which calls this) then builds the request once
   -- per thread with wrk.format() and sends it as is: no request() function
   -- here, so the script stays "static" and costs wrk nothing per request.
end
