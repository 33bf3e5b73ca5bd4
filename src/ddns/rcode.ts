/** DNS response codes (RFC 1035, RFC 2136, RFC 6891). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  /** Extended (RFC 6891): the header carries its low 4 bits, the response's OPT record the rest. */
  BADVERS: 16,
} as const;

export type Rcode = (typeof RCODE)[keyof typeof RCODE];

const NAMES = Object.fromEntries(Object.entries(RCODE).map(([k, v]) => [v, k])) as Record<number, string>;

export function rcodeName(r: number): string {
  return NAMES[r] ?? `RCODE${r}`;
}
