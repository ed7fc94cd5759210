/**
 * Which network addresses a page visit may reach. Loopback, private, link-local, shared (CGNAT),
 * "this network", multicast, reserved and cloud metadata addresses are refused unless the user allowed
 * private addresses, because a page URL comes from the model and must not reach the user's own network.
 * @module
 */

import { isIP } from "node:net";

/** IPv4 ranges no visit reaches by default, as [first octets, prefix length, why]. */
const REFUSED_V4: [number, number, string][] = [
  [ipv4("0.0.0.0"), 8, "this network"],
  [ipv4("10.0.0.0"), 8, "private"],
  [ipv4("100.64.0.0"), 10, "shared (CGNAT)"],
  [ipv4("127.0.0.0"), 8, "loopback"],
  [ipv4("169.254.0.0"), 16, "link-local (metadata)"],
  [ipv4("172.16.0.0"), 12, "private"],
  [ipv4("192.0.0.0"), 24, "IETF protocol assignments"],
  [ipv4("192.168.0.0"), 16, "private"],
  [ipv4("198.18.0.0"), 15, "benchmarking"],
  [ipv4("224.0.0.0"), 4, "multicast"],
  [ipv4("240.0.0.0"), 4, "reserved"],
];

function ipv4(text: string): number {
  return text.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

function inV4(address: number, base: number, bits: number): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(base / size);
}

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail expanded). */
function ipv6Groups(text: string): number[] {
  let s = text.toLowerCase().split("%")[0];
  const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const n = ipv4(v4[1]);
    s = s.slice(0, -v4[1].length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, null];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const fill = tail === null ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

/**
 * Why an address is refused for a page visit, or null when it is a public address.
 * @example
 * ```ts
 * refusalReason("127.0.0.1"); // "loopback"
 * refusalReason("93.184.215.14"); // null
 * ```
 */
export function refusalReason(address: string): string | null {
  const family = isIP(address);
  if (family === 4) {
    const n = ipv4(address);
    for (const [base, bits, why] of REFUSED_V4) if (inV4(n, base, bits)) return why;
    return null;
  }
  if (family !== 6) return "not an IP address";
  const g = ipv6Groups(address);
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms are judged as the IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return refusalReason(`${g[6] >>> 8}.${g[6] & 255}.${g[7] >>> 8}.${g[7] & 255}`);
  }
  if (g[0] === 0x64 && g[1] === 0xff9b) { // NAT64 embeds an IPv4 address
    return refusalReason(`${g[6] >>> 8}.${g[6] & 255}.${g[7] >>> 8}.${g[7] & 255}`);
  }
  if ((g[0] & 0xfe00) === 0xfc00) return "private (unique local)";
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xffc0) === 0xfec0) return "site-local";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  return null;
}

/**
 * Whether an address is in one of the user's allowed entries: an exact address (`::1`) or an IPv4
 * CIDR block (`127.0.0.0/8`).
 * @example
 * ```ts
 * isAllowedBy("127.0.0.1", ["127.0.0.0/8"]); // true
 * isAllowedBy("169.254.169.254", ["127.0.0.0/8"]); // false
 * ```
 */
export function isAllowedBy(address: string, allowed: readonly string[]): boolean {
  const family = isIP(address);
  return allowed.some((entry) => {
    const [base, bits] = entry.split("/");
    if (bits === undefined) {
      if (isIP(base) !== family) return false;
      return family === 4 ? base === address : ipv6Groups(base).join() === ipv6Groups(address).join();
    }
    const n = Number(bits);
    return family === 4 && isIP(base) === 4 && Number.isInteger(n) && n >= 0 && n <= 32 &&
      inV4(ipv4(address), ipv4(base), n);
  });
}
