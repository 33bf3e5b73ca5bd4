import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { mkdirs } from "../_mkdirs.js";
import { error, H5bError, type Issue } from "../issue.js";
import { writeAtomically } from "./_atomic.js";
import type { BackupSecrets } from "./backups.js";
import type { DnsSecrets } from "./dns.js";
import type { WorkloadSecrets } from "./workloads.js";
import { Secret } from "./secret.js";
import { generated, type Shape } from "./shape.js";

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
export const ONE_LINE = generated(/^\S(?:.*\S)?$/, "one line of text, without spaces at either end");

/** The k3s join token's file: the cluster's servers and agents hold it, so a new one locks them out of each other. */
export const K3S_TOKEN = "k3s-token";

/** The names a secret may have: the store's own files (`.gitignore`, temporary ones) never match. */
export const SECRET_NAME = /^[a-z0-9][a-z0-9.-]*$/;

/** A file being written (`<name>.tmp-<pid>`), not a secret. */
export const TEMPORARY = /\.tmp-\d+$/;

const GITIGNORE = "# secrets h5b generated or you supplied: never in git\n*\n";

/** One wording, whether the scan before a build finds it or the store when it makes the folder. */
export function notAFolder(dir: string): Issue {
  return error("not-a-folder", dir, "is not a folder: the secrets are kept in one, a file each");
}

/** The shape of the secrets every homelab has, by file name. */
export function coreShape(name: string): Shape | undefined {
  return name === K3S_TOKEN ? ONE_LINE : undefined;
}

/**
 * Secrets live outside the spec and outside git, one file each (mode 0600, folder 0700): generated the first time
 * a build needs them, read unchanged afterwards, so that builds stay deterministic.
 */
export class SecretStore {
  /** Whether this store has seen to its folder's .gitignore (once, not at every secret it reads). */
  #ignored = false;

  /** Secrets made while `keep` is false, for this run only. */
  readonly #made = new Map<string, string>();

  /**
   * `keep: false` writes nothing: a secret the folder lacks is made in memory for this run (`h5b simulate`, which
   * writes no output, must not leave new secrets behind that the next build would take for the homelab's own).
   */
  constructor(
    readonly dir: string,
    private readonly opts: { readonly keep?: boolean } = {},
  ) {}

  /**
   * The folder, mode 0700, with a .gitignore that keeps git away from every file in it, wherever the folder is.
   */
  #makeFolder(): void {
    if (existsSync(this.dir) && !statSync(this.dir).isDirectory()) {
      throw new H5bError("secrets", [notAFolder(this.dir)]);
    }
    mkdirs(this.dir, 0o700);
    chmodSync(this.dir, 0o700);
    this.#ignoreInGit();
  }

  /** Written again whenever it differs: a full disk may have left it empty, and an edited one may let secrets in. */
  #ignoreInGit(): void {
    if (this.#ignored) return;
    const ignore = join(this.dir, ".gitignore");
    if (!existsSync(ignore) || readFileSync(ignore, "utf8") !== GITIGNORE) writeAtomically(ignore, GITIGNORE);
    this.#ignored = true;
  }

  /**
   * Returns the secret `name`, generating it with `generate` (default: 32 random bytes, hex) if absent. With
   * `shape`, a value already there (edited by hand, say) that does not match it is refused without being shown.
   */
  ensure(name: string, generate: () => string = () => randomBytes(32).toString("hex"), shape?: Shape): Secret {
    if (!SECRET_NAME.test(name)) throw new Error(`bad secret name ${name}`);
    const file = join(this.dir, name);
    const made = this.#made.get(name);
    if (made !== undefined) return new Secret(name, made);
    if (existsSync(file)) return this.#read(name, shape);
    const value = generate();
    if (this.opts.keep === false) {
      this.#made.set(name, value);
      return new Secret(name, value);
    }
    this.#makeFolder();
    writeAtomically(file, `${value}\n`);
    return new Secret(name, value);
  }

  /**
   * A secret only the user can give (a cloud provider's key): read when its file exists, never generated; undefined
   * when it does not, so that a build goes on and the caller can say which file to create. A value that does not
   * match `shape` is refused without being shown.
   */
  supplied(name: string, shape: Shape): Secret | undefined {
    if (!SECRET_NAME.test(name)) throw new Error(`bad secret name ${name}`);
    if (!existsSync(this.pathOf(name))) return undefined;
    return this.#read(name, shape);
  }

  /**
   * A file only the user can give, byte for byte (a config, a key of any form): undefined while it does not exist.
   * Refused, without being shown, while group or others may read it.
   */
  suppliedFile(name: string): Buffer | undefined {
    if (!SECRET_NAME.test(name)) throw new Error(`bad secret name ${name}`);
    const file = this.pathOf(name);
    if (!existsSync(file)) return undefined;
    const issues = this.problems(name);
    if (issues.length > 0) throw new H5bError("secrets", issues);
    return readFileSync(file);
  }

  /** {@link ensure} for secrets whose generation is asynchronous (key pairs, certificates). */
  async ensureAsync(name: string, generate: () => Promise<string>): Promise<Secret> {
    if (this.#made.has(name) || existsSync(join(this.dir, name))) return this.ensure(name);
    const value = await generate();
    return this.ensure(name, () => value);
  }

  /** An existing secret's file, refused while group or others may read it or it does not match `shape`. */
  #read(name: string, shape?: Shape): Secret {
    const issues = this.problems(name, shape);
    if (issues.length > 0) throw new H5bError("secrets", issues);
    // A folder made by an earlier h5b has no .gitignore yet; one that cannot be written to is still read. A folder
    // opened up by hand (chmod 755) is closed again: its listing names every secret.
    try {
      if (this.opts.keep !== false) {
        this.#ignoreInGit();
        if ((statSync(this.dir).mode & 0o077) !== 0) chmodSync(this.dir, 0o700);
      }
    } catch {}
    return new Secret(name, this.#text(name));
  }

  #text(name: string): string {
    return readFileSync(this.pathOf(name), "utf8").replace(/\n$/, "");
  }

  /**
   * What is wrong with the existing secret `name`: a mode that lets group or others read it, a content that does
   * not match `shape`. Both are told at once, and the content never.
   */
  problems(name: string, shape?: Shape): Issue[] {
    const file = this.pathOf(name);
    const issues: Issue[] = [];
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) issues.push(error("secret-mode", file, `is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`));
    if (shape !== undefined && !shape.test(this.#text(name))) issues.push(error("secret-malformed", file, shape.message));
    return issues;
  }

  /** Path of a secret's file (for Ansible, which copies it to the host). */
  pathOf(name: string): string {
    return join(this.dir, name);
  }

  core(): CoreSecrets {
    return { k3sToken: this.ensure(K3S_TOKEN, undefined, ONE_LINE) };
  }
}
