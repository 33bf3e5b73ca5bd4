/**
 * Who runs the ODoH servers and relays of the DNSCrypt project's public lists (v3/odoh-servers.md and
 * v3/odoh-relays.md, as of July 2026), where the lists say so. A relay and a target run by one operator see both
 * who asks and what, which Oblivious DoH exists to prevent: such a pair is never a route. Names missing here are
 * taken to be run by distinct operators.
 */
export const ODOH_OPERATORS: Readonly<Record<string, string>> = {
  "odoh-crypto-sx": "Frank Denis",
  "odohrelay-crypto-sx": "Frank Denis",
  "odoh-cloudflare": "Cloudflare",
  "odoh-snowstorm": "Snowstorm",
  "odohrelay-numa": "the Numa project",
};

export interface OdohRoute {
  readonly server: string;
  /** The relays that may carry this server's queries: every given relay its operator does not also run. */
  readonly via: readonly string[];
}

/** One route per server, through every relay of another operator (dnscrypt-proxy picks one of them at random). */
export function odohRoutes(servers: readonly string[], relays: readonly string[]): OdohRoute[] {
  return servers.map((server) => {
    const operator = ODOH_OPERATORS[server];
    return { server, via: relays.filter((r) => operator === undefined || ODOH_OPERATORS[r] !== operator) };
  });
}
