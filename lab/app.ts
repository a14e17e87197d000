/**
 * The lab's app: one process answering for every pod of the lab, each on its pod's own address.
 * A request is answered after an exponential service time with the given mean, with headers that
 * say which cluster and pod answered. It holds no limit of its own: the pod's sidecar does.
 *
 *   node -r ts-node/register/transpile-only lab/app.ts <mean ms> <seed> <cluster>=<address>:<port>/<pod> ...
 */
import * as http from "node:http";
import { seededRandom } from "../model/random";
import { labHeaders } from "./envoyConfig";

const [meanText, seedText, ...podArgs] = process.argv.slice(2);
const meanMs = Number(meanText);
const random = seededRandom(Number(seedText));

for (const arg of podArgs) {
  const match = /^(\w+)=([\d.]+):(\d+)\/([\w-]+)$/.exec(arg);
  if (!match) throw new Error(`app: '${arg}' is not <cluster>=<address>:<port>/<pod>`);
  const [, cluster, address, port, pod] = match;
  const server = http.createServer((request, response) => {
    request.resume();
    const serviceMs = -Math.log(1 - random()) * meanMs;
    setTimeout(() => {
      response.writeHead(200, { [labHeaders.cluster]: cluster!, [labHeaders.pod]: pod!, "content-type": "text/plain" });
      response.end(`${pod}\n`);
    }, serviceMs);
  });
  // Longer than any idle time of the sidecar's pool: a connection the app closes while Envoy reuses it would be a lab artefact.
  server.keepAliveTimeout = 600_000;
  server.listen(Number(port), address);
}
