// git/add-rules.ts against git itself. ignoredByGit must give git's answer
// (`git check-ignore --no-index`) wherever it gives one, and give one for the
// common forms; mayConvertOnAdd may only say false where `git add` stores a
// file holding CRLF byte for byte. HOME and XDG_CONFIG_HOME point at a new
// directory in each test, so that no file of this machine's user counts.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ignoredByGit, mayConvertOnAdd } from "../src/git/add-rules.js";
import { findWorkTree, type GitRepo } from "../src/git/git-process.js";
import { configureGitIdentity, git, tempDir } from "./support/journal.js";

const savedEnvironment = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
let home: string;

beforeEach(() => {
  home = tempDir();
  process.env.HOME = home;
  delete process.env.XDG_CONFIG_HOME;
});

afterEach(() => {
  for (const [name, value] of Object.entries(savedEnvironment)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function writeFiles(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
}

/** A new repository holding `files` (relative to its root; `.git/...` for files of the git directory). */
function repoWith(files: Record<string, string>): GitRepo {
  const root = tempDir();
  git(root, ["init", "-q"]);
  writeFiles(root, files);
  return { root, gitDir: path.join(root, ".git") };
}

/** `git var -l` as lore should read it: keys lower-cased; a key printed with no value (true) kept, its value empty. */
function settingsOf(repo: GitRepo): Map<string, string> {
  const settings = new Map<string, string>();
  for (const line of git(repo.root, ["var", "-l"])
    .split("\n")
    .filter((entry) => entry !== "")) {
    const equals = line.indexOf("=");
    if (equals === -1) settings.set(line.toLowerCase(), "");
    else settings.set(line.slice(0, equals).toLowerCase(), line.slice(equals + 1));
  }
  return settings;
}

/** Whether git's index holds a path, as `git ls-files` tells. */
function inIndexOf(repo: GitRepo): (relative: string) => boolean {
  return (relative) => git(repo.root, ["ls-files", "--", relative]).trim() !== "";
}

/** The paths git ignores as untracked files, of `paths`. */
function ignoredByGitItself(repo: GitRepo, paths: string[]): Set<string> {
  const result = spawnSync("git", ["check-ignore", "--no-index", "--stdin", "-z"], {
    cwd: repo.root,
    input: `${paths.join("\0")}\0`,
  });
  if (result.status === 1) return new Set();
  if (result.status !== 0) throw new Error(`git check-ignore: ${result.stderr.toString()}`);
  return new Set(result.stdout.toString("utf8").split("\0"));
}

/** ignoredByGit answers for each of `paths`, with a boolean, as git does. */
function expectGitsAnswers(repo: GitRepo, paths: string[]): void {
  const settings = settingsOf(repo);
  const ignored = ignoredByGitItself(repo, paths);
  const answers = Object.fromEntries(paths.map((file) => [file, ignoredByGit(repo, file, settings)]));
  expect(answers).toEqual(Object.fromEntries(paths.map((file) => [file, ignored.has(file)])));
  // Neither all in nor all out: the paths show each case some rule decides.
  expect(new Set(Object.values(answers))).toEqual(new Set([true, false]));
}

describe("ignoredByGit, against git check-ignore --no-index", () => {
  it("root rules: comments, negation, anchored and unanchored, directory-only, * ? and [...]", () => {
    const repo = repoWith({
      ".gitignore": [
        "# a comment",
        "",
        "*.log",
        "!keep.log",
        "build/",
        "/root-only.txt",
        "doc/*.md",
        "foo?.txt",
        "[abc].txt",
        "[!a-c]x.txt",
        "tmp*/",
        "memory/failures",
        "",
      ].join("\n"),
    });
    expectGitsAnswers(repo, [
      "a.log",
      "keep.log",
      "sub/a.log",
      "sub/keep.log",
      "build",
      "build/out.js",
      "src/build/out.js",
      "root-only.txt",
      "sub/root-only.txt",
      "doc/a.md",
      "doc/sub/a.md",
      "sub/doc/a.md",
      "foo1.txt",
      "foo12.txt",
      "foo/.txt",
      "a.txt",
      "d.txt",
      "ax.txt",
      "dx.txt",
      "tmp1/x.md",
      "tmp",
      "memory/failures",
      "memory/failures/x.md",
      "sub/memory/failures/x.md",
      "# a comment",
    ]);
  });

  it("a file under an ignored directory stays ignored; a re-included directory lets it in", () => {
    const whole = repoWith({ ".gitignore": "memory/\n!memory/failures/\n!memory/failures/*.md\n" });
    expectGitsAnswers(whole, ["memory/failures/x.md", "memory/x.md", "other/memory.md", "other/x.md"]);
    const contents = repoWith({ ".gitignore": "memory/*\n!memory/failures/\n" });
    expectGitsAnswers(contents, ["memory/failures/x.md", "memory/heuristics/x.md", "memory/x.md", "memory.md"]);
  });

  it("a deeper .gitignore wins over a higher one, and its patterns are relative to its directory", () => {
    const repo = repoWith({
      ".gitignore": "*.md\nlogs/\n",
      "memory/.gitignore": "!*.md\n!logs/\n/local.txt\nsub/*.txt\n",
      "memory/heuristics/.gitignore": "x.md\n",
    });
    expectGitsAnswers(repo, [
      "a.md",
      "memory/a.md",
      "memory/sub/a.md",
      "memory/heuristics/x.md",
      "memory/heuristics/y.md",
      "memory/logs/a.txt",
      "logs/a.txt",
      "memory/local.txt",
      "memory/sub/local.txt",
      "memory/sub/a.txt",
      "memory/sub/deeper/a.txt",
      "sub/a.txt",
    ]);
  });

  it("info/exclude and core.excludesFile rank below .gitignore, in that order", () => {
    const excludes = path.join(home, "excludes");
    fs.writeFileSync(excludes, "*.tmp\n*.global\nkeep.tmp\n!b.md\n");
    const repo = repoWith({ ".git/info/exclude": "*.tmp\n!keep.tmp\n*.md\n", ".gitignore": "!c.md\n" });
    git(repo.root, ["config", "core.excludesFile", excludes]);
    expectGitsAnswers(repo, ["a.tmp", "keep.tmp", "x.global", "a.md", "b.md", "c.md", "other.txt"]);
  });

  it("core.excludesFile with ~/, and its XDG and HOME defaults", () => {
    const repo = repoWith({ ".gitignore": "!keep.*\n" });
    writeFiles(home, { "tilde-ignore": "*.tilde\nkeep.tilde\n", ".config/git/ignore": "*.home\n" });
    git(repo.root, ["config", "core.excludesFile", "~/tilde-ignore"]);
    expectGitsAnswers(repo, ["a.tilde", "keep.tilde", "a.home"]);
    git(repo.root, ["config", "--unset", "core.excludesFile"]);
    expectGitsAnswers(repo, ["a.tilde", "a.home", "keep.home"]);
    const xdg = tempDir();
    writeFiles(xdg, { "git/ignore": "*.xdg\n" });
    process.env.XDG_CONFIG_HOME = xdg;
    expectGitsAnswers(repo, ["a.xdg", "keep.xdg", "a.home"]);
    process.env.XDG_CONFIG_HOME = "";
    expectGitsAnswers(repo, ["a.xdg", "a.home"]);
  });

  it("** at the start, in the middle and at the end", () => {
    const repo = repoWith({ ".gitignore": "**/cache\nlogs/**\na/**/b\n**/x/*.md\n/**/deep\n**/keep/\n" });
    expectGitsAnswers(repo, [
      "cache",
      "d/cache",
      "d/e/cache/f",
      "logs/a",
      "logs/a/b",
      "logs",
      "sub/logs/a",
      "a/b",
      "a/x/b",
      "a/x/y/b",
      "c/a/b",
      "x/a.md",
      "d/x/a.md",
      "d/x/e/a.md",
      "deep",
      "q/r/deep",
      "keep",
      "q/keep/file",
    ]);
    const everything = repoWith({ ".gitignore": "**\n!*.md\n" });
    expectGitsAnswers(everything, ["x.md", "x.txt", "a/x.md"]);
  });

  it("CRLF line ends, a byte-order mark, trailing spaces; empty patterns match nothing", () => {
    const repo = repoWith({ ".gitignore": "\ufeff*.one\r\n# c\r\n*.two  \r\n\r\n   \n!\n/\n*.three \n" });
    expectGitsAnswers(repo, ["a.one", "a.two", "a.three", "a.three ", "a.four", "d/a.one"]);
  });

  it("compares bytes: ? matches one byte of a UTF-8 name", () => {
    const repo = repoWith({ ".gitignore": "caf?.md\ncaf??.txt\nna[é].x\nna[é][é].y\n" });
    expectGitsAnswers(repo, ["café.md", "cafe.md", "café.txt", "cafe.txt", "naé.x", "naé.y"]);
  });

  it("bracket edge cases: ] first, - last, an empty range, ^ negation", () => {
    const repo = repoWith({ ".gitignore": "[]]a\n[a-]b\n[z-a]c\n[^x]d\n[a-c-e]f\n" });
    expectGitsAnswers(repo, ["]a", "xa", "-b", "ab", "bb", "zc", "ac", "yd", "xd", "-f", "bf", "df", "ef"]);
  });

  it("a linked work tree reads info/exclude of the common git directory", () => {
    const main = repoWith({ ".git/info/exclude": "*.shared\n" });
    configureGitIdentity(main.root);
    git(main.root, ["commit", "-q", "--allow-empty", "-m", "first"]);
    const linkedRoot = path.join(tempDir(), "linked");
    git(main.root, ["worktree", "add", "-q", linkedRoot]);
    const linked = findWorkTree(linkedRoot);
    if (linked === undefined) throw new Error("no linked work tree");
    expect(linked.gitDir).not.toBe(main.gitDir);
    expectGitsAnswers(linked, ["a.shared", "a.md"]);
  });

  it("a rule it does not evaluate decides nothing when a later rule, or the file being no directory, decides first", () => {
    const later = repoWith({ ".gitignore": "a\\ b\n*.md\n!keep.md\n" });
    expectGitsAnswers(later, ["x.md", "keep.md"]);
    expect(ignoredByGit(later, "a b", settingsOf(later))).toBeUndefined();
    const directoryOnly = repoWith({ ".gitignore": "*.txt\nfoo**/\n" });
    expectGitsAnswers(directoryOnly, ["foox", "a.txt"]);
    expect(ignoredByGit(directoryOnly, "foox/y.md", settingsOf(directoryOnly))).toBeUndefined();
  });

  it("answers undefined for forms it does not evaluate, core.ignoreCase, a symlinked .gitignore, ~user and bad paths", () => {
    for (const [rules, file] of [
      ["\\#hash\n", "#hash"],
      ["[[:alpha:]].md\n", "a.md"],
      ["foo**\n", "foobar"],
      ["a/b**/c\n", "a/bx/c"],
      ["[abc\n", "x"],
      ["a//b\n", "a/b"],
    ]) {
      const repo = repoWith({ ".gitignore": rules });
      expect(ignoredByGit(repo, file, settingsOf(repo)), rules).toBeUndefined();
    }

    const caseless = repoWith({ ".gitignore": "*.md\n" });
    git(caseless.root, ["config", "core.ignoreCase", "true"]);
    expect(ignoredByGit(caseless, "x.md", settingsOf(caseless))).toBeUndefined();

    const linked = repoWith({ rules: "*.md\n" });
    fs.symlinkSync("rules", path.join(linked.root, ".gitignore"));
    expect(ignoredByGit(linked, "x.md", settingsOf(linked))).toBeUndefined();

    const otherUser = repoWith({});
    git(otherUser.root, ["config", "core.excludesFile", "~nobody/ignore"]);
    expect(ignoredByGit(otherUser, "x.md", settingsOf(otherUser))).toBeUndefined();

    const plain = repoWith({ ".gitignore": "*.md\n" });
    for (const file of ["a//b.md", "../b.md", "./b.md", "", "a/"]) {
      expect(ignoredByGit(plain, file, settingsOf(plain)), file).toBeUndefined();
    }
  });
});

/** A file with CRLF line ends at `file` in `repo`; whether `git add` staged its exact bytes. */
function gitAddKeepsBytes(repo: GitRepo, file: string): boolean {
  writeFiles(repo.root, { [file]: "one\r\ntwo\r\n$Id$\r\n" });
  git(repo.root, ["add", "--", file]);
  const staged = git(repo.root, ["rev-parse", `:${file}`]).trim();
  return staged === git(repo.root, ["hash-object", "--no-filters", "--", file]).trim();
}

describe("mayConvertOnAdd", () => {
  const file = "memory/heuristics/testing.md";

  it("false where git add stores the exact bytes: no attributes, merge=union, -text, !text, binary, other patterns", () => {
    for (const attributes of [
      undefined,
      "memory/heuristics/*.md merge=union\n",
      "*.md -text\n",
      "*.md !text -crlf\n",
      "*.md binary\n",
      "*.txt text\n/*.md text\nheuristics/*.md eol=crlf\nmemory/ text\n!*.md text\n",
    ]) {
      const repo = repoWith(attributes === undefined ? {} : { ".gitattributes": attributes });
      expect(mayConvertOnAdd(repo, file, settingsOf(repo), inIndexOf(repo)), attributes).toBe(false);
      expect(gitAddKeepsBytes(repo, file), attributes).toBe(true);
    }
    const deeper = repoWith({ "memory/.gitattributes": "/*.md text\n" });
    expect(mayConvertOnAdd(deeper, file, settingsOf(deeper), inIndexOf(deeper))).toBe(false);
    expect(gitAddKeepsBytes(deeper, file)).toBe(true);
  });

  it("true for text, text=auto, eol, crlf, filter, ident and working-tree-encoding on a matching pattern", () => {
    for (const attributes of [
      "*.md text\n",
      "* text=auto\n",
      "*.md eol=crlf\n",
      "*.md crlf\n",
      "*.md filter=lfs\n",
      "*.md ident\n",
      "*.md working-tree-encoding=UTF-16\n",
      "memory/**/*.md merge=union text\n",
    ]) {
      const repo = repoWith({ ".gitattributes": attributes });
      expect(mayConvertOnAdd(repo, file, settingsOf(repo), inIndexOf(repo)), attributes).toBe(true);
    }
    // The oracle tells the two apart: git converts here.
    const auto = repoWith({ ".gitattributes": "* text=auto\n" });
    expect(gitAddKeepsBytes(auto, file)).toBe(false);
  });

  it("true for core.autocrlf true or input, and for any macro", () => {
    for (const value of ["true", "input"]) {
      const repo = repoWith({});
      git(repo.root, ["config", "core.autocrlf", value]);
      expect(mayConvertOnAdd(repo, file, settingsOf(repo), inIndexOf(repo)), value).toBe(true);
      expect(gitAddKeepsBytes(repo, file), value).toBe(false);
    }
    const off = repoWith({});
    git(off.root, ["config", "core.autocrlf", "false"]);
    expect(mayConvertOnAdd(off, file, settingsOf(off), inIndexOf(off))).toBe(false);
    const macro = repoWith({ ".gitattributes": "[attr]quiet -diff\n" });
    expect(mayConvertOnAdd(macro, file, settingsOf(macro), inIndexOf(macro))).toBe(true);
  });

  it("reads core.attributesFile, its XDG and HOME defaults, info/attributes and a deeper .gitattributes", () => {
    const global = path.join(home, "attributes");
    fs.writeFileSync(global, "*.md text\n");
    const configured = repoWith({});
    git(configured.root, ["config", "core.attributesFile", global]);
    expect(mayConvertOnAdd(configured, file, settingsOf(configured), inIndexOf(configured))).toBe(true);

    const byDefault = repoWith({});
    writeFiles(home, { ".config/git/attributes": "*.md eol=lf\n" });
    expect(mayConvertOnAdd(byDefault, file, settingsOf(byDefault), inIndexOf(byDefault))).toBe(true);
    const xdg = tempDir();
    process.env.XDG_CONFIG_HOME = xdg;
    expect(mayConvertOnAdd(byDefault, file, settingsOf(byDefault), inIndexOf(byDefault))).toBe(false);
    writeFiles(xdg, { "git/attributes": "*.md text\n" });
    expect(mayConvertOnAdd(byDefault, file, settingsOf(byDefault), inIndexOf(byDefault))).toBe(true);

    const info = repoWith({ ".git/info/attributes": "*.md text\n" });
    expect(mayConvertOnAdd(info, file, settingsOf(info), inIndexOf(info))).toBe(true);
    const deeper = repoWith({ "memory/heuristics/.gitattributes": "testing.md text\n" });
    expect(mayConvertOnAdd(deeper, file, settingsOf(deeper), inIndexOf(deeper))).toBe(true);
  });

  it("true when a .gitattributes missing from the work tree is still in the index, as git add reads it there", () => {
    const repo = repoWith({ "memory/.gitattributes": "*.md text\n", ".gitattributes": "*.txt merge=union\n" });
    git(repo.root, ["add", "memory/.gitattributes", ".gitattributes"]);
    fs.rmSync(path.join(repo.root, "memory", ".gitattributes"));
    expect(mayConvertOnAdd(repo, file, settingsOf(repo), inIndexOf(repo))).toBe(true);
    expect(gitAddKeepsBytes(repo, file)).toBe(false);

    // Staged as deleted: no longer in the index, so no source.
    git(repo.root, ["rm", "-q", "--cached", "memory/.gitattributes"]);
    git(repo.root, ["rm", "-q", "--cached", "-f", file]);
    expect(mayConvertOnAdd(repo, file, settingsOf(repo), inIndexOf(repo))).toBe(false);
    expect(gitAddKeepsBytes(repo, file)).toBe(true);
  });
});
