export { ddnsConfigSchema, ddnsKeyPrefixes, loadDdnsConfig, loadDdnsSecrets, parseDdnsConfig, TSIG_ALGORITHMS } from "./config.js";
export type { DdnsConfig, DdnsConfigInput, DdnsKeyPermission, DdnsSecrets, TsigAlgorithm } from "./config.js";
export { startDdns } from "./daemon.js";
export type { DdnsHandle, StartOptions } from "./daemon.js";
export { DdnsMetrics } from "./metrics.js";
export { RCODE, rcodeName } from "./rcode.js";
export { appendTsig, tsigKey, TSIG_ERROR, verifyRequest, verifyResponse } from "./tsig.js";
export type { TsigKey } from "./tsig.js";
