// A hostile registry for test/e2e/attack-images.bats: it answers each request with what the
// test wrote in ROUTES (a JSON file, read again at each request, so that every test sets its
// own answers without restarting the server):
//   { "/v2/evil/app/manifests/1": { "status": 200, "type": "application/...", "body": "..." },
//     "*": { "status": 500, "body": "..." } }   (* answers every other path)
// A route may give "headers" (e.g. a Location) too. Each request is one line on stdout:
// "METHOD PATH STATUS auth=AUTHORIZATION", for the tests to read. It listens on 127.0.0.1 only.
// Usage: node hostile-registry.mjs LISTEN_PORT ROUTES
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const [listenPort, routesFile] = process.argv.slice(2);

createServer((req, res) => {
  const path = new URL(req.url, `http://127.0.0.1:${listenPort}`).pathname;
  let routes = {};
  try {
    routes = JSON.parse(readFileSync(routesFile, "utf8"));
  } catch {
    // no routes yet: every answer is the fallback below
  }
  const route = routes[path] ?? routes["*"] ?? { status: 404, body: "no route" };
  const headers = { "Content-Type": route.type ?? "application/octet-stream", ...(route.headers ?? {}) };
  res.writeHead(route.status ?? 200, headers).end(route.body ?? "");
  console.log(`${req.method} ${path} ${route.status ?? 200} auth=${req.headers.authorization ?? ""}`);
}).listen(Number(listenPort), "127.0.0.1", () => console.log("listening"));
