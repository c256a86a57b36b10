// The load under which ELF lost records: 20 record-failure runs with the same
// title and 20 record-heuristic runs for one new domain, all started at once.
// lore must acknowledge all 40, and keep all 40: 40 rows, 40 distinct records
// in the markdown, one domain header, and a clean git tree with every record
// in its own commit.
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { createJournal, git, invariantViolations, markdownRecords, readRows } from "./support/journal.js";
import { runLore, toFlags } from "./support/lore.js";

it("20 parallel record-failure (same title) and 20 record-heuristic (one new domain) all land", async () => {
  const dir = await createJournal({ git: true });
  const runs = [
    ...Array.from({ length: 20 }, (_, index) =>
      runLore(
        [
          "record-failure",
          ...toFlags({ title: "Same title", domain: "Concurrency", summary: `run ${index}` }),
          "--json",
        ],
        {
          cwd: dir,
        },
      ),
    ),
    ...Array.from({ length: 20 }, (_, index) =>
      runLore(["record-heuristic", ...toFlags({ domain: "Brand New Domain", rule: `rule ${index}` }), "--json"], {
        cwd: dir,
      }),
    ),
  ];
  const results = await Promise.all(runs);
  expect(results.map((result) => result.code)).toEqual(results.map(() => 0));

  const acknowledged = results.map((result) => JSON.parse(result.stdout) as { loreId: string; commit: string });
  expect(new Set(acknowledged.map((ack) => ack.loreId)).size).toBe(40);
  expect(new Set(acknowledged.map((ack) => ack.commit)).size).toBe(40);

  const rows = readRows(dir);
  expect(rows.learnings).toHaveLength(20);
  expect(rows.heuristics).toHaveLength(20);
  const records = markdownRecords(dir);
  expect(records.failures.size).toBe(20);
  expect(new Set(records.failures.values()).size).toBe(20);
  expect(records.heuristics.size).toBe(20);
  expect(new Set(records.heuristics.values()).size).toBe(20);
  for (const ack of acknowledged)
    expect(records.failures.has(ack.loreId) || records.heuristics.has(ack.loreId)).toBe(true);

  const domainFile = fs.readFileSync(path.join(dir, "memory", "heuristics", "brand-new-domain.md"), "utf8");
  expect(domainFile.match(/^# Heuristics: /gm)).toHaveLength(1);
  expect(git(dir, ["status", "--porcelain"]).trim()).toBe("");
  expect(git(dir, ["rev-list", "--count", "HEAD"]).trim()).toBe("41");
  expect(invariantViolations(dir)).toEqual([]);
});
