/**
 * Space detection: which space a message belongs to. Pure functions over a list of spaces —
 * no storage, no filesystem — so the rules can be read, tested by table and reused. The
 * rules, in order (the first rule that matches decides):
 *
 * 1. explicit ids, in the order given (ids that name no space are skipped);
 * 2. name: a space's name appears in the message as a whole word, case-insensitively; the
 *    longest name wins, then the earliest in the message (words inside paths do not count:
 *    paths have rule 3);
 * 3. path: a path in the message, else the cwd, lies inside one of a space's paths; the
 *    deepest space path wins;
 * 4. tag: one of a space's tags appears as a whole word or `#tag`; the earliest in the
 *    message wins.
 *
 * Remaining ties go to the older space (then the smaller id). The default space takes part
 * only through an explicit id: it is what callers fall back to, and the word "default" in a
 * sentence should not select it.
 */

import { isPathWithin, normalizePath, type PathContext } from "./paths.ts";
import { DEFAULT_SPACE_ID, SPACE_LIMITS, type Space } from "./space.ts";

export type DetectionReason = "explicit" | "name" | "path" | "tag";

export interface Detection {
  readonly space: Space;
  readonly reason: DetectionReason;
  /** What matched: the id, the name as written in the message, the normalised path, or the tag. */
  readonly match: string;
}

export interface DetectOptions extends PathContext {
  /** Spaces the caller named outright (for example from a UI selector); checked first. */
  explicitIds?: readonly string[] | undefined;
}

/** What `detectOrCreate` would create for a message that matches no space. */
export interface SpaceCandidate {
  readonly name: string;
  readonly paths: readonly string[];
  /** `project` when the message names a project, else `path`. */
  readonly origin: "project" | "path";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function olderFirst(a: Space, b: Space): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Index of `word` in `message` as a whole word (case-insensitive), or -1. */
function wholeWordIndex(message: string, word: string, boundary: string, prefix = ""): { index: number; text: string } {
  const pattern = new RegExp(`(?<![${boundary}])${prefix}${escapeRegExp(word)}(?![${boundary}])`, "iu");
  const found = pattern.exec(message);
  return found === null ? { index: -1, text: "" } : { index: found.index, text: found[0] };
}

const nameBoundary = "\\p{L}\\p{N}\\p{M}_";
const tagBoundary = "\\p{L}\\p{N}\\p{M}_\\-";

const leadingPunctuation = /^["'`([{<]+/;
const trailingPunctuation = /["'`)\]}>,;:!?]+$/;

/** Strips sentence punctuation around a token; a trailing `.` goes unless it is a `.`/`..` segment. */
function trimToken(token: string): string {
  let out = token.replace(leadingPunctuation, "").replace(trailingPunctuation, "");
  while (out.endsWith(".")) {
    const last = out.slice(out.lastIndexOf("/") + 1);
    if (last === "." || last === "..") break;
    out = out.slice(0, -1).replace(trailingPunctuation, "");
  }
  return out;
}

function looksLikePath(token: string): boolean {
  if (token === "~") return true;
  if (token.startsWith("~/") || token.startsWith("./") || token.startsWith("../")) return true;
  // A lone "/" (as in "a / b") or "//…" is punctuation or a URL fragment, not a path.
  return token.startsWith("/") && !token.startsWith("//") && token.length > 1;
}

/**
 * Paths written in a message, normalised, in message order. A path is a whitespace-separated
 * token starting with `/`, `~/`, `./` or `../` (or a lone `~`), with surrounding quotes,
 * brackets and sentence punctuation removed. Relative ones need `cwd`; unresolvable ones are
 * left out.
 */
export function extractPaths(message: string, context: PathContext = {}): string[] {
  const out: string[] = [];
  for (const raw of message.split(/\s+/u)) {
    const token = trimToken(raw);
    if (!looksLikePath(token)) continue;
    const normalised = normalizePath(token, context);
    if (normalised !== undefined && !out.includes(normalised)) out.push(normalised);
  }
  return out;
}

/** The message with path tokens blanked, so words inside paths never count as names or tags. */
function withoutPaths(message: string): string {
  return message.replace(/\S+/gu, (raw) => (looksLikePath(trimToken(raw)) ? " ".repeat(raw.length) : raw));
}

function byExplicitId(spaces: readonly Space[], ids: readonly string[]): Detection | undefined {
  for (const id of ids) {
    const space = spaces.find((candidate) => candidate.id === id);
    if (space !== undefined) return { space, reason: "explicit", match: id };
  }
  return undefined;
}

function byName(message: string, spaces: readonly Space[]): Detection | undefined {
  let best: { space: Space; index: number; text: string; length: number } | undefined;
  for (const space of spaces) {
    const found = wholeWordIndex(message, space.name, nameBoundary);
    if (found.index < 0) continue;
    const length = codePoints(space.name);
    const better =
      best === undefined ||
      length > best.length ||
      (length === best.length && found.index < best.index) ||
      (length === best.length && found.index === best.index && olderFirst(space, best.space) < 0);
    if (better) best = { space, index: found.index, text: found.text, length };
  }
  return best === undefined ? undefined : { space: best.space, reason: "name", match: best.text };
}

function byPath(paths: readonly string[], spaces: readonly Space[], home: string | undefined): Detection | undefined {
  for (const path of paths) {
    let best: { space: Space; depth: number } | undefined;
    for (const space of spaces) {
      for (const spacePath of space.paths) {
        const resolved = normalizePath(spacePath, { home });
        if (resolved === undefined || !isPathWithin(path, resolved)) continue;
        const depth = resolved.length;
        if (best === undefined || depth > best.depth || (depth === best.depth && olderFirst(space, best.space) < 0)) {
          best = { space, depth };
        }
      }
    }
    if (best !== undefined) return { space: best.space, reason: "path", match: path };
  }
  return undefined;
}

function byTag(message: string, spaces: readonly Space[]): Detection | undefined {
  let best: { space: Space; index: number; tag: string } | undefined;
  for (const space of spaces) {
    for (const tag of space.tags) {
      const found = wholeWordIndex(message, tag, tagBoundary, "#?");
      if (found.index < 0) continue;
      if (
        best === undefined ||
        found.index < best.index ||
        (found.index === best.index && olderFirst(space, best.space) < 0)
      ) {
        best = { space, index: found.index, tag };
      }
    }
  }
  return best === undefined ? undefined : { space: best.space, reason: "tag", match: best.tag };
}

/** The space `message` belongs to under the rules above, or `undefined` when none matches. */
export function detectSpace(
  message: string,
  spaces: readonly Space[],
  options: DetectOptions = {},
): Detection | undefined {
  const explicit = byExplicitId(spaces, options.explicitIds ?? []);
  if (explicit !== undefined) return explicit;
  const candidates = spaces.filter((space) => space.id !== DEFAULT_SPACE_ID);
  const words = withoutPaths(message);
  const named = byName(words, candidates);
  if (named !== undefined) return named;
  const paths = extractPaths(message, options);
  const cwd = options.cwd === undefined ? undefined : normalizePath(options.cwd, { home: options.home });
  if (cwd !== undefined && !paths.includes(cwd)) paths.push(cwd);
  const pathed = byPath(paths, candidates, options.home);
  if (pathed !== undefined) return pathed;
  return byTag(words, candidates);
}

const projectPattern =
  /\bproject(?:\s*[:=]\s*|\s+(?:called|named)\s+|\s+(?=["'“]))(?:"([^"\n]+)"|'([^'\n]+)'|“([^”\n]+)”|([\p{L}\p{N}][\p{L}\p{N}_.-]*))/iu;

/** The project a message names: `project "X Y"`, `project: X`, `project=X`, `project called X`, `project named X`. */
export function namedProject(message: string): string | undefined {
  const found = projectPattern.exec(message);
  if (found === null) return undefined;
  const raw = (found[1] ?? found[2] ?? found[3] ?? found[4] ?? "").trim().replace(/\.+$/, "");
  return raw === "" ? undefined : raw;
}

const fileName = /^[^.].*\.[A-Za-z0-9]{1,8}$/;

function nameForPath(path: string): string | undefined {
  return path
    .split("/")
    .filter((segment) => segment !== "" && segment !== "~")
    .at(-1);
}

function directoryFor(path: string): string {
  const segments = path.split("/");
  const last = segments.at(-1) ?? "";
  return fileName.test(last) && segments.length > 2 ? segments.slice(0, -1).join("/") : path;
}

function usableName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim().normalize("NFC");
  if (trimmed === "" || codePoints(trimmed) > SPACE_LIMITS.nameMaxLength || /\p{Cc}/u.test(trimmed)) return undefined;
  return trimmed;
}

/**
 * The space to create for a message that matched nothing, or `undefined` when the message
 * names neither a project nor a path. A named project gives the name; the first path in the
 * message (not the cwd) gives the path, and the name when no project is named — its last
 * segment, or the directory's name when the path names a file. Home-relative paths are kept
 * as `~/…` so the space stays valid if the home directory moves.
 */
export function spaceCandidate(message: string, context: PathContext = {}): SpaceCandidate | undefined {
  const withoutHome = extractPaths(message, { cwd: context.cwd });
  const paths = withoutHome.length > 0 ? withoutHome : extractPaths(message, context);
  const path = paths.find((candidate) => candidate !== "/" && candidate !== "~");
  const directory = path === undefined ? undefined : directoryFor(path);
  const project = usableName(namedProject(message));
  if (project !== undefined)
    return { name: project, paths: directory === undefined ? [] : [directory], origin: "project" };
  if (directory === undefined) return undefined;
  const name = usableName(nameForPath(directory));
  return name === undefined ? undefined : { name, paths: [directory], origin: "path" };
}
