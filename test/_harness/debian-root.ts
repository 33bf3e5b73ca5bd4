import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";

/** Where debootstrapped roots are kept between runs of the test suite (a tarball per set of arguments). */
export const CACHE_DIR = process.env.H5B_TEST_CACHE ?? "/var/cache/h5b-test";
const MIRROR = "http://deb.debian.org/debian";
// What Ansible needs on the target (python3, python3-apt for the apt module) and what a Debian 12 host always has.
const ARGS = ["--variant=minbase", "--include=python3,python3-apt,systemd,systemd-sysv,ca-certificates,ifupdown", "bookworm"];

async function need(program: string, pkg: string): Promise<void> {
  const r = await execa("sh", ["-c", `command -v ${program}`], { reject: false });
  if (r.exitCode !== 0) throw new Error(`${program} is not installed: apt-get install ${pkg}`);
}

let pending: Promise<string> | undefined;

/** A tarball of a minimal Debian 12 root, made with debootstrap from the Debian registry the first time. */
export function debianRootTarball(): Promise<string> {
  pending ??= makeTarball();
  return pending;
}

async function makeTarball(): Promise<string> {
  const key = createHash("sha256").update([...ARGS, MIRROR].join(" ")).digest("hex").slice(0, 12);
  const tarball = join(CACHE_DIR, `debian12-minbase-${key}.tar`);
  if (existsSync(tarball)) return tarball;
  if (process.getuid?.() !== 0) throw new Error("making a Debian root with debootstrap needs root");
  await need("debootstrap", "debootstrap");
  mkdirSync(CACHE_DIR, { recursive: true });
  const dir = join(CACHE_DIR, `build-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  try {
    await execa("debootstrap", [...ARGS, dir, MIRROR]);
    // apt's downloaded packages are not part of the root; the tarball stays small.
    await execa("sh", ["-c", `rm -rf ${dir}/var/cache/apt/archives/*.deb`]);
    await execa("tar", ["-C", dir, "-cf", `${tarball}.tmp`, "."]);
    renameSync(`${tarball}.tmp`, tarball);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tarball;
}

/**
 * Unpacks the cached root into `dir`, ready for Ansible's chroot connection: the host's resolver (apt reaches the
 * Debian registry) and a policy-rc.d, as in any chroot build, so that installed packages start no daemons here.
 */
export async function unpackDebianRoot(dir: string): Promise<void> {
  const tarball = await debianRootTarball();
  mkdirSync(dir, { recursive: true });
  await execa("tar", ["-C", dir, "-xf", tarball]);
  copyFileSync("/etc/resolv.conf", join(dir, "etc/resolv.conf"));
  const policy = join(dir, "usr/sbin/policy-rc.d");
  writeFileSync(policy, "#!/bin/sh\nexit 101\n");
  chmodSync(policy, 0o755);
}
