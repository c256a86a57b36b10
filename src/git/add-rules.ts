/**
 * What `git add` would do with a new, untracked file, told without running
 * git: whether it refuses the file as ignored, and whether it could store
 * anything but the file's bytes.
 *
 *   const ruleFiles = new RuleFiles();     // optional: the rule files read once for several questions
 *   const ignored = ignoredByGit(repo, "memory/failures/x.md", settings, ruleFiles);
 *   if (ignored !== false || mayConvertOnAdd(repo, "memory/failures/x.md", settings, inIndex, ruleFiles)) ...run git add
 *
 * `relativePath` is the file's path below the work tree root, its parts
 * joined by `/`. `settings` is git's configuration as `git var -l` prints
 * it, keys lower-cased; a key git prints with no value (`[core] autocrlf`,
 * which means true) must be in it, with any value but false, no, off or 0.
 * Paths and patterns are compared byte by byte, as git compares them.
 *
 * ignoredByGit: git's own answer for the file as untracked (`git
 * check-ignore --no-index`), by gitignore(5). The rules, lowest precedence
 * first: core.excludesFile (`~/` expanded, relative to the work tree root;
 * unset: `$XDG_CONFIG_HOME/git/ignore`, else `$HOME/.config/git/ignore`),
 * `info/exclude` of the common git directory, then `.gitignore` of the root
 * and of each directory down to the file's. The last rule that matches
 * decides, and each directory above the file is matched first, from the top,
 * as a directory: once one is ignored, the file is, whatever a rule says of
 * it. Evaluated: comments, blank lines, trailing spaces, CRLF line ends, a
 * leading byte-order mark, `!`, a trailing `/` (directories only), a leading
 * or middle `/` (relative to the rule file's directory), `*`, `?`, `[...]`
 * (`!` or `^` negated, ranges), and `**` as a whole part of a pattern,
 * first, between two parts or last. Returns undefined, for the caller to ask git, when
 * a rule that could decide uses anything else (a backslash, `[:class:]`, an
 * unclosed `[`, `**` inside a part, an empty part), when core.ignoreCase may
 * be true, when core.excludesFile is a form not expanded here (`~user/`,
 * `%(prefix)/`, empty), when a rule file exists but cannot be read (a
 * `.gitignore` that is a symbolic link: git does not follow it), or when
 * `relativePath` has an empty, `.` or `..` part. A missing rule file is no
 * source. Not seen: a `.gitignore` missing from the work tree that git reads
 * from the index because the index marks it skip-worktree.
 *
 * mayConvertOnAdd: conservative, true when git could store something other
 * than the file's bytes: core.autocrlf may be true or input, or an attribute
 * line whose pattern may match the file sets `text`, `eol`, `crlf`,
 * `filter`, `ident` or `working-tree-encoding` (to true or to a value;
 * `-text`, `!text` and `binary` do not convert), or any line defines a macro
 * (`[attr]`). The attribute files: `/etc/gitattributes`, core.attributesFile
 * (unset: `$XDG_CONFIG_HOME/git/attributes`, else
 * `$HOME/.config/git/attributes`), `info/attributes` of the common git
 * directory, and `.gitattributes` of the root and of each directory down to
 * the file's; a `.gitattributes` missing from the work tree counts when the
 * index holds it (`inIndex`, the caller's index: `git add` then reads the
 * index's). Patterns are matched
 * as ignoredByGit matches them (gitattributes(5): negated and directory
 * patterns match no file); a pattern it does not evaluate, a quoted one, and
 * every pattern under core.ignoreCase count as matching. A file that cannot
 * be read, or a configured file not expanded here, answers true.
 *
 * Both read the few files synchronously, once per RuleFiles: a caller
 * asking about several files at one moment (the files of one commit) passes
 * one, and each rule file is read once for all; without one, every call
 * reads them again. Nothing is kept beyond the RuleFiles.
 * Errors: none of their own; commonDir's, when the `commondir` file of a
 * linked work tree cannot be read.
 */
import fs from "node:fs";
import path from "node:path";
import { commonDir, type GitRepo } from "./git-process.js";

/** A pattern of an ignore or attributes file, ready to match paths given as bytes (one char per byte). */
interface PathPattern {
  negative: boolean;
  directoryOnly: boolean;
  /** Whether the pattern matches a path relative to the root; undefined where this module does not evaluate it. */
  matches: ((bytes: string) => boolean) | undefined;
}

const CONVERTING_ATTRIBUTES = new Set(["text", "eol", "crlf", "filter", "ident", "working-tree-encoding"]);

const BYTE_ORDER_MARK = "\xef\xbb\xbf";

/** The rule files read for the questions of one commit (its files): each read once, when first asked for. */
export class RuleFiles {
  private readonly texts = new Map<string, string | null | undefined>();

  read(file: string | null | undefined, options: { inWorkTree?: boolean } = {}): string | null | undefined {
    if (file === null || file === undefined) return file;
    const key = `${options.inWorkTree ? "work tree" : "any"}:${file}`;
    if (!this.texts.has(key)) this.texts.set(key, readRules(file, options));
    return this.texts.get(key);
  }
}

export function ignoredByGit(
  repo: GitRepo,
  relativePath: string,
  settings: Map<string, string>,
  ruleFiles = new RuleFiles(),
): boolean | undefined {
  const parts = pathParts(relativePath);
  if (parts === undefined || mayBeTrue(settings.get("core.ignorecase"))) return undefined;
  const patterns: PathPattern[] = [];
  for (const file of [userFile(repo, settings.get("core.excludesfile"), "ignore"), infoFile(repo, "exclude")]) {
    const text = ruleFiles.read(file);
    if (text === undefined) return undefined;
    patterns.push(...ignorePatterns(text ?? "", ""));
  }
  for (let depth = 0; depth < parts.length; depth++) {
    const text = ruleFiles.read(path.join(repo.root, ...parts.slice(0, depth), ".gitignore"), { inWorkTree: true });
    if (text === undefined) return undefined;
    patterns.push(...ignorePatterns(text ?? "", baseOf(parts.slice(0, depth))));
    const ignored = lastMatchIgnores(patterns, asBytes(parts.slice(0, depth + 1).join("/")), depth < parts.length - 1);
    if (ignored !== false) return ignored;
  }
  return false;
}

export function mayConvertOnAdd(
  repo: GitRepo,
  relativePath: string,
  settings: Map<string, string>,
  inIndex: (relative: string) => boolean,
  ruleFiles = new RuleFiles(),
): boolean {
  const parts = pathParts(relativePath);
  if (parts === undefined || mayBeTrue(settings.get("core.autocrlf"))) return true;
  const everyPatternMatches = mayBeTrue(settings.get("core.ignorecase"));
  const bytes = asBytes(relativePath);
  const mayConvertBy = (text: string | null | undefined, base: string): boolean =>
    text === undefined || (text !== null && attributesMayConvert(text, base, bytes, everyPatternMatches));
  const globalFiles = ["/etc/gitattributes", userFile(repo, settings.get("core.attributesfile"), "attributes")];
  if ([...globalFiles, infoFile(repo, "attributes")].some((file) => mayConvertBy(ruleFiles.read(file), ""))) {
    return true;
  }
  for (let depth = 0; depth < parts.length; depth++) {
    const text = ruleFiles.read(path.join(repo.root, ...parts.slice(0, depth), ".gitattributes"), {
      inWorkTree: true,
    });
    // git reads a .gitattributes missing from the work tree from the index.
    if (text === null && inIndex([...parts.slice(0, depth), ".gitattributes"].join("/"))) return true;
    if (mayConvertBy(text, baseOf(parts.slice(0, depth)))) return true;
  }
  return false;
}

/** The parts of a path below the root; undefined when one is empty, `.` or `..`. */
function pathParts(relativePath: string): string[] | undefined {
  const parts = relativePath.split("/");
  return parts.every((part) => part !== "" && part !== "." && part !== "..") ? parts : undefined;
}

/** A string whose chars are the UTF-8 bytes of `text`, as wildmatch sees a path. */
function asBytes(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** The prefix a rule file's directory gives the paths below it: `a/b/`, or nothing for the root. */
function baseOf(directory: string[]): string {
  return directory.map((part) => `${asBytes(part)}/`).join("");
}

/** Whether a git boolean (or core.autocrlf) may be on: anything but unset, false, no, off and 0. */
function mayBeTrue(value: string | undefined): boolean {
  return value !== undefined && !/^(false|no|off|0)$/i.test(value);
}

/**
 * The file a core.excludesFile or core.attributesFile setting names, or by
 * default the XDG one called `name`; null when there is none (no HOME nor
 * XDG_CONFIG_HOME); undefined for a setting this module does not expand.
 */
function userFile(repo: GitRepo, setting: string | undefined, name: string): string | null | undefined {
  const { HOME: home, XDG_CONFIG_HOME: xdg } = process.env;
  if (setting === undefined) {
    if (xdg) return path.resolve(repo.root, `${xdg}/git/${name}`);
    return home === undefined ? null : path.resolve(repo.root, `${home}/.config/git/${name}`);
  }
  if (setting.startsWith("~/"))
    return home === undefined ? undefined : path.resolve(repo.root, home + setting.slice(1));
  return setting === "" || setting.startsWith("~") || setting.startsWith("%(")
    ? undefined
    : path.resolve(repo.root, setting);
}

function infoFile(repo: GitRepo, name: string): string {
  return path.join(commonDir(repo), "info", name);
}

/**
 * A rule file's text as bytes (one char per byte), without a leading
 * byte-order mark; null when there is no such file; undefined when it cannot
 * be read, or `file` is undefined. A rule file in the work tree that is a
 * symbolic link cannot be read: git does not follow it.
 */
function readRules(file: string | null | undefined, { inWorkTree = false } = {}): string | null | undefined {
  if (file === null || file === undefined) return file;
  try {
    if (inWorkTree && fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) return undefined;
    const text = fs.readFileSync(file).toString("latin1");
    return text.startsWith(BYTE_ORDER_MARK) ? text.slice(BYTE_ORDER_MARK.length) : text;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? null : undefined;
  }
}

/** The patterns of an ignore file whose directory gives paths the prefix `base`, in the file's order. */
function ignorePatterns(text: string, base: string): PathPattern[] {
  return text.split("\n").flatMap((line) => {
    if (line === "" || line.startsWith("#")) return [];
    const withoutEnd = line.endsWith("\r") ? line.slice(0, -1) : line;
    // A backslash escapes, also a trailing space: not evaluated, and never skipped as a directory pattern.
    if (withoutEnd.includes("\\")) return [{ negative: false, directoryOnly: false, matches: undefined }];
    return [pathPattern(withoutEnd.replace(/ +$/, ""), base)];
  });
}

/** git's parse_path_pattern and match_basename / match_pathname, for one pattern without backslashes. */
function pathPattern(text: string, base: string): PathPattern {
  const negative = text.startsWith("!");
  const withoutBang = negative ? text.slice(1) : text;
  const directoryOnly = withoutBang.endsWith("/");
  const glob = directoryOnly ? withoutBang.slice(0, -1) : withoutBang;
  if (!glob.includes("/")) {
    const regex = globRegex(glob);
    return {
      negative,
      directoryOnly,
      matches: regex && ((bytes) => regex.test(bytes.slice(bytes.lastIndexOf("/") + 1))),
    };
  }
  const regex = globRegex(glob.startsWith("/") ? glob.slice(1) : glob);
  return {
    negative,
    directoryOnly,
    matches: regex && ((bytes) => bytes.startsWith(base) && regex.test(bytes.slice(base.length))),
  };
}

/** Whether the last pattern that matches `bytes` ignores it: false when none matches, undefined when one not evaluated comes first. */
function lastMatchIgnores(patterns: PathPattern[], bytes: string, isDirectory: boolean): boolean | undefined {
  for (let index = patterns.length - 1; index >= 0; index--) {
    const pattern = patterns[index];
    if (pattern.directoryOnly && !isDirectory) continue;
    if (pattern.matches === undefined) return undefined;
    if (pattern.matches(bytes)) return !pattern.negative;
  }
  return false;
}

/** wildmatch with WM_PATHNAME as a regular expression; undefined for a form not evaluated here. */
function globRegex(glob: string): RegExp | undefined {
  const parts = glob.split("/");
  let source = "";
  for (const [index, part] of parts.entries()) {
    // After a `**/` the slash is already in the expression.
    const separator = index === 0 || parts[index - 1] === "**" ? "" : "/";
    if (part === "**") {
      source += separator + (index < parts.length - 1 ? "(?:.*/)?" : ".*");
      continue;
    }
    const partSource = part === "" && parts.length > 1 ? undefined : partRegex(part);
    if (partSource === undefined) return undefined;
    source += separator + partSource;
  }
  return new RegExp(`^${source}$`, "s");
}

/** One part of a glob (no `/`) as a regular expression; undefined for `**` inside it or a bracket not evaluated here. */
function partRegex(part: string): string | undefined {
  let source = "";
  for (let index = 0; index < part.length; index++) {
    const char = part[index];
    if (char === "*") {
      if (part[index + 1] === "*") return undefined;
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const bracket = bracketRegex(part, index);
      if (bracket === undefined) return undefined;
      source += bracket.source;
      index = bracket.end;
    } else {
      source += byteRegex(char);
    }
  }
  return source;
}

/**
 * The bracket expression starting at `part[start]`, as wildmatch reads it: a
 * leading `!` or `^` negates, the first member may be `]`, `a-z` is a range
 * unless `-` comes first, last or right after a range; never `/`. `end` is
 * the index of its closing `]`. Undefined when unclosed or holding `[:`.
 */
function bracketRegex(part: string, start: number): { source: string; end: number } | undefined {
  let index = start + 1;
  const negated = part[index] === "!" || part[index] === "^";
  if (negated) index++;
  let members = "";
  let previous = "";
  do {
    const char = part[index];
    if (char === undefined || (char === "[" && part[index + 1] === ":")) return undefined;
    if (char === "-" && previous !== "" && part[index + 1] !== undefined && part[index + 1] !== "]") {
      const last = part[++index];
      if (last >= previous) members += `${byteRegex(previous)}-${byteRegex(last)}`;
      previous = "";
    } else {
      members += byteRegex(char);
      previous = char;
    }
    index++;
  } while (part[index] !== "]");
  return { source: negated ? `[^/${members}]` : `(?!/)[${members}]`, end: index };
}

function byteRegex(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/** Whether an attributes file holds a macro, or a line that may match `bytes` and sets a converting attribute. */
function attributesMayConvert(text: string, base: string, bytes: string, everyPatternMatches: boolean): boolean {
  return text.split("\n").some((line) => {
    const [first, ...states] = line.split(/[ \t\r]+/).filter((field) => field !== "");
    if (first === undefined || first.startsWith("#")) return false;
    if (/^"?\[attr\]/.test(first)) return true;
    if (!states.some((state) => CONVERTING_ATTRIBUTES.has(state.split("=")[0]))) return false;
    // A quoted pattern may hold blanks: its fields were read as states above, which only counts more lines.
    if (everyPatternMatches || first.startsWith('"')) return true;
    const pattern = pathPattern(first, base);
    // git drops a negated pattern's line; a directory pattern matches no file.
    return !pattern.negative && !pattern.directoryOnly && (pattern.matches?.(bytes) ?? true);
  });
}
