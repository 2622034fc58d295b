// Preload for upstreams that listen on every interface (server-everything): binds a bare `listen(port)` to 127.0.0.1.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first, second] = args;
  const portOnly =
    (typeof first === "number" || /^\d+$/.test(String(first))) &&
    (args.length === 1 || typeof second === "function");
  if (portOnly) args.splice(1, 0, "127.0.0.1");
  return listen.apply(this, args);
};
