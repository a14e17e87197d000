/**
 * IPv4 CIDR blocks as numbers, so that config can tell a block from an address inside it and the
 * EKS subnet plan can carve one. Pure: nothing but Node's `net` to recognise an address.
 */
import * as net from "node:net";

/** An IPv4 CIDR block: its first address as an unsigned 32-bit number, and its prefix length. */
interface Ipv4Block {
  address: number;
  prefix: number;
}

/** The block `text` writes (`10.20.0.0/16`), or undefined when it is not an IPv4 address, '/', and a prefix of 0 to 32. */
export function parseIpv4Cidr(text: string): Ipv4Block | undefined {
  const [address, prefix, ...rest] = text.split("/");
  if (rest.length > 0 || !net.isIPv4(address ?? "") || !/^\d{1,2}$/.test(prefix ?? "") || Number(prefix) > 32) return undefined;
  return { address: address!.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0), prefix: Number(prefix) };
}

/** A block written as `a.b.c.d/prefix`. */
export function formatIpv4Cidr(block: Ipv4Block): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(block.address / 2 ** shift) % 256);
  return `${octets.join(".")}/${block.prefix}`;
}

/** The block with its host bits cleared: what clouds and Kubernetes take `10.20.1.0/16` to mean, `10.20.0.0/16`. */
export function networkOf(block: Ipv4Block): Ipv4Block {
  const size = 2 ** (32 - block.prefix);
  return { address: block.address - (block.address % size), prefix: block.prefix };
}

/** Whether every address of `inner` lies in `outer` (both CIDR text); false when either is not an IPv4 CIDR. */
export function cidrCovers(outer: string, inner: string): boolean {
  const a = parseIpv4Cidr(outer);
  const b = parseIpv4Cidr(inner);
  if (!a || !b || b.prefix < a.prefix) return false;
  return networkOf({ address: b.address, prefix: a.prefix }).address === networkOf(a).address;
}
