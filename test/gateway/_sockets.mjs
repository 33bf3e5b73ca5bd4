// Test helper run inside network namespaces (plain Node, no dependencies).
//   node _sockets.mjs serve <ready-file> <tcp|udp>:<address>:<port>...   answers every connection or datagram with
//       "<local address> <remote address>" and writes <ready-file> once every socket listens
//   node _sockets.mjs probe <tcp|udp> <address> <port> <timeout ms> [<source address> <source port>]   prints the
//       answer, or "timeout" / "error <code>"; UDP only can be sent from a given source (a forged one, say)
//   node _sockets.mjs catch <ready-file> <address> <port> <timeout ms>   writes <ready-file> once bound, then prints
//       the first UDP datagram that arrives, or "timeout"
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";

const [mode, ...args] = process.argv.slice(2);
const family = (address) => (address.includes(":") ? 6 : 4);

function serve(readyFile, specs) {
  let pending = specs.length;
  const ready = () => {
    if (--pending === 0) writeFileSync(readyFile, "ready\n");
  };
  for (const spec of specs) {
    const [proto, rest] = [spec.slice(0, 3), spec.slice(4)];
    const cut = rest.lastIndexOf(":");
    const [address, port] = [rest.slice(0, cut), Number(rest.slice(cut + 1))];
    if (proto === "tcp") {
      createServer((s) => s.end(`${s.localAddress} ${s.remoteAddress}\n`)).listen({ host: address, port }, ready);
    } else {
      const sock = createSocket(`udp${family(address)}`);
      sock.on("message", (_msg, peer) => sock.send(`${address} ${peer.address}\n`, peer.port, peer.address));
      sock.bind({ address, port }, ready);
    }
  }
}

function probe(proto, address, port, timeoutMs, source, sourcePort) {
  const done = (text) => {
    process.stdout.write(`${text.trim()}\n`);
    process.exit(0);
  };
  setTimeout(() => done("timeout"), timeoutMs);
  if (proto === "tcp") {
    const s = connect({ host: address, port });
    let got = "";
    s.on("data", (d) => (got += d));
    s.on("end", () => done(got));
    s.on("error", (e) => done(`error ${e.code}`));
  } else {
    const sock = createSocket(`udp${family(address)}`);
    sock.on("message", (m) => done(m.toString()));
    sock.on("error", (e) => done(`error ${e.code}`));
    const send = () => sock.send("probe", port, address);
    if (source !== undefined) sock.bind({ address: source, port: Number(sourcePort) }, send);
    else send();
  }
}

function catchOne(readyFile, address, port, timeoutMs) {
  const sock = createSocket(`udp${family(address)}`);
  sock.on("message", (m) => {
    process.stdout.write(`${m.toString().trim()}\n`);
    process.exit(0);
  });
  sock.bind({ address, port: Number(port) }, () => writeFileSync(readyFile, "ready\n"));
  setTimeout(() => {
    process.stdout.write("timeout\n");
    process.exit(0);
  }, timeoutMs);
}

if (mode === "serve") serve(args[0], args.slice(1));
else if (mode === "catch") catchOne(args[0], args[1], args[2], Number(args[3]));
else probe(args[0], args[1], Number(args[2]), Number(args[3]), args[4], args[5]);
