/**
 * Loaded with `node --require` into a script that a test runs as if this machine were offline: fetch
 * fails as Node's does when a host name does not resolve (a TypeError "fetch failed" with the DNS
 * error as its cause) and sends nothing. It appends each URL asked for to $OFFLINE_FETCH_LOG.
 */
import * as fs from "node:fs";

globalThis.fetch = async (input) => {
  const url = typeof input === "string" || input instanceof URL ? String(input) : input.url;
  if (process.env.OFFLINE_FETCH_LOG) fs.appendFileSync(process.env.OFFLINE_FETCH_LOG, `${url}\n`);
  const { hostname } = new URL(url);
  const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", syscall: "getaddrinfo", hostname });
  throw new TypeError("fetch failed", { cause });
};
