/**
 * Private keys reach the daemons as systemd credentials: the files stay root's, mode 0600, and systemd hands each
 * unit a private copy under /run/credentials/<unit>/ that only the unit's (possibly dynamic) user can read.
 * So no key file needs an owner other than root, and configs name the credential paths.
 */
export interface Credential {
  /** Name inside the unit's credentials folder. */
  readonly id: string;
  /** File on the host that systemd loads. */
  readonly source: string;
}

export const credentialPath = (unit: string, id: string) => `/run/credentials/${unit}/${id}`;

export const loadCredentialLines = (creds: readonly Credential[]) => creds.map((c) => `LoadCredential=${c.id}:${c.source}`);
