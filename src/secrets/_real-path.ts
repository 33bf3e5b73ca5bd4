import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/**
 * Where `path` really is: the links of the part that exists resolved, the rest appended. A link whose target does
 * not exist yet is followed too, since the writer and the store make the folder where it points.
 */
export function realPath(path: string): string {
  const rest: string[] = [];
  let p = resolve(path);
  for (let hops = 0; hops < 40; ) {
    try {
      return join(realpathSync(p), ...rest);
    } catch {
      // Not there (yet), or a link to where nothing is: found out below.
    }
    let link: string | undefined;
    try {
      if (lstatSync(p).isSymbolicLink()) link = readlinkSync(p);
    } catch {
      // Nothing at all there: the part to append.
    }
    if (link !== undefined) {
      p = resolve(dirname(p), link);
      hops++;
      continue;
    }
    if (dirname(p) === p) break;
    rest.unshift(basename(p));
    p = dirname(p);
  }
  // A loop of links: whoever writes there reports it.
  return join(p, ...rest);
}

/** Whether `path` is `folder` or inside it (both real paths). */
export function isWithin(path: string, folder: string): boolean {
  const r = relative(folder, path);
  return r === "" || (r !== ".." && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}
