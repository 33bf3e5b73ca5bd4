import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mkdirs } from "../_mkdirs.js";
import { error, H5bError } from "../issue.js";
import type { BackupSecrets } from "./backups.js";
import type { DnsSecrets } from "./dns.js";
import type { WorkloadSecrets } from "./workloads.js";
import { Secret } from "./secret.js";

/** Secrets every homelab has; other stages add theirs through {@link SecretStore.ensure}. */
export interface CoreSecrets {
  /** Shared token k3s agents join with. */
  readonly k3sToken: Secret;
}

/** Every secret the emitters embed, made by `prepareSecrets` (src/secrets/prepare.ts). */
export interface Secrets extends CoreSecrets {
  readonly dns: DnsSecrets;
  /** When the spec has backups. */
  readonly backups?: BackupSecrets;
  /** The files the workloads mount, as far as the user has supplied them. */
  readonly workloads: WorkloadSecrets;
}

/**
 * The shape of a password or token a user may have put in place of the generated one: an empty file would be
 * copied to the hosts as it is (k3s would take an empty token for none, restic refuses an empty password).
 */
export const ONE_LINE = { pattern: /^\S(?:.*\S)?$/, what: "one line of text, without spaces at either end" } as const;

/**
 * Secrets live outside the spec and outside git, one file each (mode 0600, folder 0700): generated the first time
 * a build needs them, read unchanged afterwards, so that builds stay deterministic.
 */
export class SecretStore {
  /** Whether this store has seen to its folder's .gitignore (once, not at every secret it reads). */
  #ignored = false;

  constructor(readonly dir: string) {}

  /**
   * The folder, mode 0700, with a .gitignore that keeps git away from every file in it, wherever the folder is.
   */
  #makeFolder(): void {
    if (existsSync(this.dir) && !statSync(this.dir).isDirectory()) {
      throw new H5bError("secrets", [error("not-a-folder", this.dir, "is not a folder: the secrets are kept in one, a file each")]);
    }
    mkdirs(this.dir, 0o700);
    chmodSync(this.dir, 0o700);
    this.#ignoreInGit();
  }

  #ignoreInGit(): void {
    if (this.#ignored) return;
    const ignore = join(this.dir, ".gitignore");
    if (!existsSync(ignore)) writeFileSync(ignore, "# secrets h5b generated or you supplied: never in git\n*\n", { mode: 0o600 });
    this.#ignored = true;
  }

  /**
   * Returns the secret `name`, generating it with `generate` (default: 32 random bytes, hex) if absent. With
   * `shape`, a value already there (edited by hand, say) that does not match it is refused without being shown.
   */
  ensure(name: string, generate: () => string = () => randomBytes(32).toString("hex"), shape?: { pattern: RegExp; what: string }): Secret {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`bad secret name ${name}`);
    const file = join(this.dir, name);
    if (existsSync(file)) {
      const secret = this.#read(name);
      if (shape !== undefined && !shape.pattern.test(secret.reveal())) {
        throw new H5bError("secrets", [error("secret-malformed", file, `does not hold ${shape.what}; delete it to have a new one generated`)]);
      }
      return secret;
    }
    const value = generate();
    this.#makeFolder();
    // Write then rename, so a crash never leaves a half-written secret that later builds would trust.
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${value}\n`, { mode: 0o600 });
    renameSync(tmp, file);
    return new Secret(name, value);
  }

  /**
   * A secret only the user can give (a cloud provider's key): read when its file exists, never generated; undefined
   * when it does not, so that a build goes on and the caller can say which file to create. A value that does not
   * match `shape` is refused without being shown.
   */
  supplied(name: string, shape: RegExp, what: string): Secret | undefined {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`bad secret name ${name}`);
    if (!existsSync(this.pathOf(name))) return undefined;
    const secret = this.#read(name);
    if (!shape.test(secret.reveal())) {
      throw new H5bError("secrets", [error("secret-malformed", this.pathOf(name), `does not hold ${what} (one line, nothing else)`)]);
    }
    return secret;
  }

  /**
   * A file only the user can give, byte for byte (a config, a key of any form): undefined while it does not exist.
   * Refused, without being shown, while group or others may read it.
   */
  suppliedFile(name: string): Buffer | undefined {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`bad secret name ${name}`);
    const file = this.pathOf(name);
    if (!existsSync(file)) return undefined;
    this.#checkMode(file);
    return readFileSync(file);
  }

  /** {@link ensure} for secrets whose generation is asynchronous (key pairs, certificates). */
  async ensureAsync(name: string, generate: () => Promise<string>): Promise<Secret> {
    if (existsSync(join(this.dir, name))) return this.ensure(name);
    const value = await generate();
    return this.ensure(name, () => value);
  }

  /** An existing secret's file, refused while group or others may read it. */
  #read(name: string): Secret {
    const file = this.pathOf(name);
    this.#checkMode(file);
    // A folder made by an earlier h5b has no .gitignore yet; one that cannot be written to is still read. A folder
    // opened up by hand (chmod 755) is closed again: its listing names every secret.
    try {
      this.#ignoreInGit();
      if ((statSync(this.dir).mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
    } catch {}
    return new Secret(name, readFileSync(file, "utf8").replace(/\n$/, ""));
  }

  #checkMode(file: string): void {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new H5bError("secrets", [error("secret-mode", file, `is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`)]);
    }
  }

  /** Path of a secret's file (for Ansible, which copies it to the host). */
  pathOf(name: string): string {
    return join(this.dir, name);
  }

  core(): CoreSecrets {
    return { k3sToken: this.ensure("k3s-token", undefined, ONE_LINE) };
  }
}
