// ELF's interface as ../shared/reference/elf-format.md gives it, written out
// independently of lore's own code: the failure template after the Summary
// (the tests compare lore's files with it and build ELF-written files from
// it) and ELF's database schema (the tables ELF's init creates, plus one of its
// other tables), for journals that ELF made.
export const ELF_FAILURE_SECTIONS = [
  "## What Happened",
  "",
  "[Describe the failure in detail]",
  "",
  "## Root Cause",
  "",
  "[What was the underlying issue?]",
  "",
  "## Impact",
  "",
  "[What were the consequences?]",
  "",
  "## Prevention",
  "",
  "[What heuristic or practice would prevent this?]",
  "",
  "## Related",
  "",
  "- **Experiments**:",
  "- **Heuristics**:",
  "- **Similar Failures**:",
];

/** An ELF database as ELF's init leaves it: no lore column, no lore table. */
export const ELF_SCHEMA = `
CREATE TABLE learnings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  filepath TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  tags TEXT,
  domain TEXT,
  severity INTEGER DEFAULT 3,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_learnings_domain ON learnings(domain);
CREATE INDEX idx_learnings_type ON learnings(type);
CREATE TRIGGER learnings_check BEFORE INSERT ON learnings
BEGIN
  SELECT CASE
    WHEN NEW.type NOT IN ('failure', 'success', 'heuristic', 'experiment', 'observation') THEN RAISE(ABORT, 'Invalid learning type')
    WHEN NEW.severity < 1 OR NEW.severity > 5 THEN RAISE(ABORT, 'Severity must be between 1 and 5')
  END;
END;
CREATE TABLE heuristics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  domain TEXT NOT NULL,
  rule TEXT NOT NULL,
  explanation TEXT,
  source_type TEXT,
  source_id INTEGER,
  confidence REAL DEFAULT 0.5,
  times_validated INTEGER DEFAULT 0,
  times_violated INTEGER DEFAULT 0,
  is_golden INTEGER DEFAULT 0,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_heuristics_domain ON heuristics(domain);
CREATE TABLE experiments (id INTEGER PRIMARY KEY, name TEXT);
CREATE INDEX idx_experiments_name ON experiments(name);
`;
