import type { KeyPair } from "../../secrets/dns.js";
import { type OutputFile, hostPath, linesFile } from "../file.js";

/** A TLS client's three files in one folder, as CoreDNS, `h5b ddns` and etcdctl read them. */
export const tlsFiles = (dir: string) => ({ ca: `${dir}/ca.crt`, cert: `${dir}/client.crt`, key: `${dir}/client.key` });

/** Those three files on `host`: the CA and the certificate readable, the key mode 0600. */
export function tlsClientOutput(host: string, dir: string, ca: string, pair: KeyPair): OutputFile[] {
  const f = tlsFiles(dir);
  return [
    linesFile(hostPath(host, f.ca), [ca.trim()]),
    linesFile(hostPath(host, f.cert), [pair.cert.trim()]),
    linesFile(hostPath(host, f.key), [pair.key.reveal().trim()], { mode: 0o600 }),
  ];
}
