/**
 * Test harness: a throwaway single-node etcd (Debian's etcd-server 3.4) on free loopback ports in a temp dir.
 *
 *   const etcd = await startEtcd({ tls: true, auth: true });   // optional args: extra etcd flags
 *   // etcd.endpoints, etcd.tls?.{ca,cert,key} (PEM paths: the CA, and a client cert/key it signed),
 *   // etcd.rootPassword (user "root" when auth is on), etcd.ctl(["get", "/x"]) runs etcdctl against it.
 *   await etcd.kill();     // stop the process, keep the data (outage tests)
 *   await etcd.restart();  // start again on the same ports and data
 *   await etcd.stop();     // stop and delete everything (call it in afterAll)
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface EtcdOptions {
  /** Serve clients over TLS with a fresh CA (client certificates are issued but not required). */
  readonly tls?: boolean;
  /** Enable etcd auth with a root user (password in `rootPassword`). */
  readonly auth?: boolean;
  /** Extra etcd flags, e.g. `["--auth-token-ttl", "1"]`. */
  readonly args?: readonly string[];
}

export interface EtcdInstance {
  readonly endpoints: string[];
  readonly dir: string;
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string };
  readonly rootPassword?: string;
  /** Runs etcdctl (API v3) against this etcd as root; resolves to stdout. */
  ctl(args: readonly string[]): Promise<string>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function makeCerts(dir: string): Promise<{ ca: string; cert: string; key: string; serverCert: string; serverKey: string }> {
  const f = (n: string) => join(dir, n);
  const ossl = (args: string[]) => run("openssl", args, { cwd: dir });
  await ossl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=h5b-test-ca", "-keyout", f("ca.key"), "-out", f("ca.pem")]);
  await writeFile(f("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
  for (const who of ["server", "client"]) {
    await ossl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${who}`,
      "-keyout", f(`${who}.key`), "-out", f(`${who}.csr`)]);
    await ossl(["x509", "-req", "-in", f(`${who}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial",
      "-days", "2", "-extfile", f("san.cnf"), "-out", f(`${who}.pem`)]);
  }
  return { ca: f("ca.pem"), cert: f("client.pem"), key: f("client.key"), serverCert: f("server.pem"), serverKey: f("server.key") };
}

export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdInstance> {
  const dir = await mkdtemp(join(tmpdir(), "h5b-etcd-"));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const certs = options.tls ? await makeCerts(dir) : undefined;
  const scheme = certs ? "https" : "http";
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const rootPassword = options.auth ? `root-${Math.random().toString(36).slice(2)}` : undefined;
  let child: ChildProcess | undefined;

  const args = [
    "--name", "t", "--data-dir", join(dir, "data"),
    "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
    "--listen-peer-urls", `http://127.0.0.1:${peerPort}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peerPort}`,
    "--initial-cluster", `t=http://127.0.0.1:${peerPort}`, "--initial-cluster-state", "new",
    "--logger", "zap", "--log-outputs", join(dir, "etcd.log"),
    // Tests want speed over durability; the data dir is thrown away.
    "--unsafe-no-fsync",
    ...(certs ? ["--cert-file", certs.serverCert, "--key-file", certs.serverKey, "--trusted-ca-file", certs.ca] : []),
    ...(options.args ?? []),
  ];

  const ctlBase = () => [
    "--endpoints", endpoint, "--command-timeout", "3s",
    ...(certs ? ["--cacert", certs.ca, "--cert", certs.cert, "--key", certs.key] : []),
  ];
  let authOn = false;
  const ctl = async (a: readonly string[]) =>
    (await run("etcdctl", [...ctlBase(), ...(authOn && rootPassword ? ["--user", `root:${rootPassword}`] : []), ...a], {
      env: { ...process.env, ETCDCTL_API: "3" },
    })).stdout;

  const launch = async () => {
    child = spawn("etcd", args, { stdio: "ignore" });
    const c = child;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`etcd exited with ${c.exitCode}; see ${join(dir, "etcd.log")}`);
      try {
        await ctl(["endpoint", "health"]);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`etcd did not become healthy; see ${join(dir, "etcd.log")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };

  try {
    await launch();
    if (rootPassword) {
      await ctl(["user", "add", `root:${rootPassword}`]);
      await ctl(["auth", "enable"]);
      authOn = true;
    }
  } catch (e) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    endpoints: [endpoint],
    dir,
    ...(certs ? { tls: { ca: certs.ca, cert: certs.cert, key: certs.key } } : {}),
    ...(rootPassword ? { rootPassword } : {}),
    ctl,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
