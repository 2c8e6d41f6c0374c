// A registry that wants bearer tokens, as Docker Hub does, for the image tests: it stands in
// front of a real registry (docker-registry) and
//   - answers /v2/... without `Authorization: Bearer TOKEN` with 401 and the challenge
//     WWW-Authenticate: Bearer realm="http://ADDR/token",service="tupper-test",scope="repository:REPO:pull";
//   - answers /token?service=tupper-test&scope=repository:REPO:pull with {"token": TOKEN}, and
//     only to USER:PASSWORD (HTTP basic) when those are given;
//   - passes every authorised request on to the real registry.
// With DELAY_MS, each blob is answered that much later: a pull in progress, to interrupt.
// Each request is one line on stdout: "METHOD PATH STATUS", for the tests to count.
// Usage: node token-registry.mjs LISTEN_PORT BACKEND_PORT [USER:PASSWORD|''] [DELAY_MS]
import { createServer, request } from "node:http";

const [listenPort, backendPort, credentialsArg, delayArg] = process.argv.slice(2);
const credentials = credentialsArg || undefined;
const delayMs = Number(delayArg ?? 0);
const TOKEN = "tupper-test-token";
const challenge = (repository) =>
  `Bearer realm="http://127.0.0.1:${listenPort}/token",service="tupper-test",scope="repository:${repository}:pull"`;

createServer((req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${listenPort}`);
  const done = (status) => console.log(`${req.method} ${url.pathname} ${status}`);
  if (url.pathname === "/token") {
    const basic = `Basic ${Buffer.from(credentials ?? "").toString("base64")}`;
    if (url.searchParams.get("service") !== "tupper-test" || (credentials && req.headers.authorization !== basic)) {
      res.writeHead(401).end();
      return done(401);
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token: TOKEN, expires_in: 300 }));
    return done(200);
  }
  const repository = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1] ?? "";
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(401, { "WWW-Authenticate": challenge(repository), "Content-Type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    return done(401);
  }
  const forward = () => {
  const upstream = request({ host: "127.0.0.1", port: backendPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${backendPort}` } }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    answer.pipe(res);
    done(answer.statusCode);
  });
  upstream.on("error", () => res.writeHead(502).end());
  req.pipe(upstream);
  };
  if (delayMs > 0 && url.pathname.includes("/blobs/")) setTimeout(forward, delayMs);
  else forward();
}).listen(Number(listenPort), "127.0.0.1", () => console.log("listening"));
