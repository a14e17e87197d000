/**
 * The pinned Istio charts (exported from the Istio Go module by the toolchain) served as a Helm
 * repository on loopback: the chart source the rehearsal's stacks are configured with, as an
 * air-gapped user's would point at their mirror.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";

export interface ChartServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the files of `dir` (index.yaml and the chart archives) read-only on 127.0.0.1 at a free port. */
export function serveCharts(dir: string): Promise<ChartServer> {
  const files = new Set(fs.readdirSync(dir));
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname.replace(/^\//, ""));
    if (request.method !== "GET" || !files.has(name)) {
      response.writeHead(404).end();
      return;
    }
    const type = name.endsWith(".yaml") ? "application/x-yaml" : "application/gzip";
    response.writeHead(200, { "content-type": type });
    fs.createReadStream(path.join(dir, name)).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
