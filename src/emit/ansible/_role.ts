import { type OutputFile, yamlFile } from "../file.js";

/** An Ansible task or handler, as the object the YAML serializer writes. */
export type Task = Record<string, unknown>;

export interface Role {
  /** Role name as Ansible wants it (`[a-z][a-z0-9_]*`). */
  readonly name: string;
  readonly description: string;
  readonly tasks: readonly Task[];
  readonly handlers?: readonly Task[];
  /** Role defaults: the knobs a user may override from the inventory. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Role variables: facts of the role itself, which the inventory does not override. */
  readonly vars?: Readonly<Record<string, unknown>>;
}

/**
 * In check mode nothing is installed, so a task that needs what an earlier task would have installed (a package's
 * unit, a downloaded archive) fails on a fresh host; there it is reported but does not stop the run.
 */
export function checkModeTolerant(task: Task): Task {
  return { ...task, ignore_errors: "{{ ansible_check_mode }}" };
}

const HEADER = "Rendered by h5b from the spec; edit the spec, not this file.";

/** The files of one role under `ansible/roles/<name>/`. */
export function roleFiles(role: Role): OutputFile[] {
  const dir = `ansible/roles/${role.name}`;
  const meta = {
    galaxy_info: {
      role_name: role.name,
      namespace: "h5b",
      author: "h5b",
      description: role.description,
      license: "Apache-2.0",
      min_ansible_version: "2.14",
      platforms: [{ name: "Debian", versions: ["bookworm"] }],
    },
    dependencies: [],
  };
  return [
    yamlFile(`${dir}/meta/main.yml`, meta, { header: HEADER }),
    yamlFile(`${dir}/tasks/main.yml`, role.tasks, { header: HEADER }),
    ...(role.handlers !== undefined && role.handlers.length > 0 ? [yamlFile(`${dir}/handlers/main.yml`, role.handlers, { header: HEADER })] : []),
    ...(role.defaults !== undefined ? [yamlFile(`${dir}/defaults/main.yml`, role.defaults, { header: HEADER })] : []),
    ...(role.vars !== undefined ? [yamlFile(`${dir}/vars/main.yml`, role.vars, { header: HEADER })] : []),
  ];
}

/** Path prefixes (absolute, or relative to `/`) as one anchored regular expression; dots are matched literally. */
function prefixPattern(prefixes: readonly string[]): string {
  return `^(${prefixes.map((p) => p.replace(/^\//, "").replace(/\./g, "[.]")).join("|")})`;
}

/**
 * Tasks that copy files of the host's rendered root overlay (`hosts/<host>/…`, listed in `h5b_overlay_files`) to
 * the same paths on the host, byte for byte, in name order, with their rendered modes. With `secrets`, files whose
 * mode keeps group and others out are copied by a second task that never shows a diff. With `backup`, a file that
 * is replaced is kept beside it with a time stamp (for files the installer wrote, which h5b takes over).
 */
export function overlayTasks(
  what: string,
  prefixes: readonly string[] | "all",
  opts: { notify?: readonly string[]; secrets?: boolean; backup?: boolean } = {},
): Task[] {
  const files = prefixes === "all" ? "h5b_overlay_files" : "h5b_overlay_files | selectattr('path', 'match', h5b_pattern)";
  const vars = { ...(prefixes === "all" ? {} : { h5b_pattern: prefixPattern(prefixes) }), h5b_files: `{{ ${files} }}` };
  const task = (name: string, filter: string, secret: boolean): Task => ({
    name,
    "ansible.builtin.copy": {
      src: "{{ item.src }}",
      dest: "/{{ item.path }}",
      owner: "root",
      group: "root",
      mode: "{{ item.mode }}",
      ...(opts.backup === true ? { backup: true } : {}),
    },
    ...(secret ? { diff: false } : {}),
    loop: `{{ h5b_files${filter} | sort(attribute='path') }}`,
    loop_control: { label: "/{{ item.path }}" },
    vars,
    ...(opts.notify !== undefined && opts.notify.length > 0 ? { notify: [...opts.notify] } : {}),
  });
  // The copy module makes no missing parent folders; existing ones (a package's) keep their owner and mode.
  const folders: Task[] = [
    {
      name: `Look for the folders of ${what}`,
      "ansible.builtin.stat": { path: "/{{ item }}" },
      loop: "{{ h5b_files | map(attribute='path') | map('dirname') | unique | sort }}",
      register: "h5b_folders",
      vars,
    },
    {
      name: `Create the missing folders of ${what}`,
      "ansible.builtin.file": { path: "/{{ item }}", state: "directory", owner: "root", group: "root", mode: "0755" },
      loop: "{{ h5b_folders.results | rejectattr('stat.exists') | map(attribute='item') | list }}",
    },
  ];
  if (opts.secrets !== true) return [...folders, task(`Install ${what}`, "", false)];
  const secretMode = "'mode', 'match', '^0[0-7]00$'";
  return [...folders, task(`Install ${what}`, ` | rejectattr(${secretMode})`, false), task(`Install ${what} (secret files)`, ` | selectattr(${secretMode})`, true)];
}
