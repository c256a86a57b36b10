import { spawnSync } from "node:child_process";

// ELF's interface as ../shared/reference/elf-format.md gives it, written out
// independently of lore's own code: the failure template after the Summary
// (the tests compare lore's files with it and build ELF-written files from
// it) and ELF's database schema: a small ELF database (the record tables, plus
// one other table of another shape), and, as elf-loop.md gives them, the whole
// of ELF's init_db.sql and the two tables ELF's query.py creates lazily; and
// the `learnings.summary` ELF's record-failure.sh stores, computed by a real
// bash as the recorder computes it.
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

/**
 * A small ELF database: the record tables without lore's column or tables, and
 * an `experiments` table of another shape than init_db.sql's (no `status`), as
 * an older ELF or another tool may leave one.
 */
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

/**
 * ELF's `templates/init_db.sql` as elf-loop.md (2.1-2.3) gives it: every
 * table with its columns, types, defaults, CHECKs and foreign keys, every
 * index by ELF's name, the four validation triggers, and the seed rows.
 * (ELF ends it with ANALYZE, left out here: it makes no table of ELF's.)
 */
export const ELF_INIT_DB_SQL = `
CREATE TABLE IF NOT EXISTS learnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL CHECK(type IN ('failure', 'success', 'heuristic', 'experiment', 'observation')),
    filepath TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    tags TEXT,
    domain TEXT,
    severity INTEGER DEFAULT 3 CHECK(severity >= 1 AND severity <= 5),
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS heuristics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL,
    rule TEXT NOT NULL,
    explanation TEXT,
    source_type TEXT,
    source_id INTEGER,
    confidence REAL DEFAULT 0.5 CHECK(confidence >= 0.0 AND confidence <= 1.0),
    times_validated INTEGER DEFAULT 0 CHECK(times_validated >= 0),
    times_violated INTEGER DEFAULT 0 CHECK(times_violated >= 0),
    is_golden INTEGER DEFAULT 0,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    hypothesis TEXT,
    status TEXT DEFAULT 'active',
    cycles_run INTEGER DEFAULT 0,
    folder_path TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS ceo_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    context TEXT,
    recommendation TEXT,
    status TEXT DEFAULT 'pending',
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    reviewed_at DATETIME
);
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiment_id INTEGER,
    cycle_number INTEGER,
    try_summary TEXT,
    break_summary TEXT,
    analysis TEXT,
    learning_extracted TEXT,
    heuristic_id INTEGER,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (experiment_id) REFERENCES experiments(id),
    FOREIGN KEY (heuristic_id) REFERENCES heuristics(id)
);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
    metric_type TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    metric_value REAL NOT NULL,
    tags TEXT,
    context TEXT
);
CREATE TABLE IF NOT EXISTS system_health (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
    status TEXT NOT NULL,
    db_integrity TEXT,
    db_size_mb REAL,
    disk_free_mb REAL,
    git_status TEXT,
    stale_locks INTEGER DEFAULT 0,
    details TEXT
);
CREATE TABLE IF NOT EXISTS violations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id INTEGER NOT NULL,
    rule_name TEXT NOT NULL,
    violation_date DATETIME DEFAULT CURRENT_TIMESTAMP,
    description TEXT,
    session_id TEXT,
    acknowledged INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    description TEXT
);
CREATE TABLE IF NOT EXISTS db_operations (
    id INTEGER PRIMARY KEY CHECK(id = 1),
    operation_count INTEGER DEFAULT 0,
    last_vacuum DATETIME,
    last_analyze DATETIME,
    total_vacuums INTEGER DEFAULT 0,
    total_analyzes INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS workflows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    nodes_json TEXT NOT NULL DEFAULT '[]',
    config_json TEXT DEFAULT '{}',
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS workflow_edges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id INTEGER NOT NULL,
    from_node TEXT NOT NULL,
    to_node TEXT NOT NULL,
    condition TEXT DEFAULT '',
    priority INTEGER DEFAULT 100,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (workflow_id) REFERENCES workflows(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS workflow_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_id INTEGER,
    workflow_name TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    phase TEXT DEFAULT 'init',
    input_json TEXT DEFAULT '{}',
    output_json TEXT DEFAULT '{}',
    context_json TEXT DEFAULT '{}',
    total_nodes INTEGER DEFAULT 0,
    completed_nodes INTEGER DEFAULT 0,
    failed_nodes INTEGER DEFAULT 0,
    started_at DATETIME,
    completed_at DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    error_message TEXT,
    FOREIGN KEY (workflow_id) REFERENCES workflows(id)
);
CREATE TABLE IF NOT EXISTS node_executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    node_name TEXT,
    node_type TEXT NOT NULL DEFAULT 'single',
    agent_id TEXT,
    session_id TEXT,
    prompt TEXT,
    prompt_hash TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    result_json TEXT DEFAULT '{}',
    result_text TEXT,
    findings_json TEXT DEFAULT '[]',
    files_modified TEXT DEFAULT '[]',
    duration_ms INTEGER,
    token_count INTEGER,
    retry_count INTEGER DEFAULT 0,
    started_at DATETIME,
    completed_at DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    error_message TEXT,
    error_type TEXT,
    FOREIGN KEY (run_id) REFERENCES workflow_runs(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS trails (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER,
    location TEXT NOT NULL,
    location_type TEXT DEFAULT 'file',
    scent TEXT NOT NULL,
    strength REAL DEFAULT 1.0,
    agent_id TEXT,
    node_id TEXT,
    message TEXT,
    tags TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    expires_at DATETIME,
    FOREIGN KEY (run_id) REFERENCES workflow_runs(id)
);
CREATE TABLE IF NOT EXISTS conductor_decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    decision_type TEXT NOT NULL,
    decision_data TEXT DEFAULT '{}',
    reason TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (run_id) REFERENCES workflow_runs(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS building_queries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    query_type TEXT NOT NULL,
    session_id TEXT,
    agent_id TEXT,
    domain TEXT,
    tags TEXT,
    limit_requested INTEGER,
    max_tokens_requested INTEGER,
    results_returned INTEGER,
    tokens_approximated INTEGER,
    duration_ms INTEGER,
    status TEXT DEFAULT 'success',
    error_message TEXT,
    error_code TEXT,
    golden_rules_returned INTEGER DEFAULT 0,
    heuristics_count INTEGER DEFAULT 0,
    learnings_count INTEGER DEFAULT 0,
    experiments_count INTEGER DEFAULT 0,
    ceo_reviews_count INTEGER DEFAULT 0,
    query_summary TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    completed_at DATETIME
);
CREATE TABLE IF NOT EXISTS spike_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    topic TEXT,
    question TEXT,
    findings TEXT,
    gotchas TEXT,
    resources TEXT,
    time_invested_minutes INTEGER,
    domain TEXT,
    tags TEXT,
    usefulness_score REAL DEFAULT 0,
    access_count INTEGER DEFAULT 0,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS assumptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    assumption TEXT NOT NULL,
    context TEXT,
    source TEXT,
    confidence REAL DEFAULT 0.5 CHECK(confidence >= 0.0 AND confidence <= 1.0),
    status TEXT DEFAULT 'active' CHECK(status IN ('active', 'verified', 'challenged', 'invalidated')),
    domain TEXT,
    verified_count INTEGER DEFAULT 0,
    challenged_count INTEGER DEFAULT 0,
    last_verified_at DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS session_summaries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    tool_summary TEXT,
    content_summary TEXT,
    conversation_summary TEXT,
    files_touched TEXT DEFAULT '[]',
    tool_counts TEXT DEFAULT '{}',
    message_count INTEGER DEFAULT 0,
    session_file_path TEXT,
    session_file_size INTEGER,
    session_last_modified DATETIME,
    summarized_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    summarizer_model TEXT DEFAULT 'haiku',
    summary_version INTEGER DEFAULT 1,
    is_stale INTEGER DEFAULT 0,
    needs_resummarize INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS idx_learnings_domain ON learnings(domain);
CREATE INDEX IF NOT EXISTS idx_learnings_type ON learnings(type);
CREATE INDEX IF NOT EXISTS idx_learnings_tags ON learnings(tags);
CREATE INDEX IF NOT EXISTS idx_learnings_created_at ON learnings(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_learnings_domain_created ON learnings(domain, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_heuristics_domain ON heuristics(domain);
CREATE INDEX IF NOT EXISTS idx_heuristics_golden ON heuristics(is_golden);
CREATE INDEX IF NOT EXISTS idx_heuristics_confidence ON heuristics(confidence);
CREATE INDEX IF NOT EXISTS idx_heuristics_created_at ON heuristics(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_heuristics_domain_confidence ON heuristics(domain, confidence DESC);
CREATE INDEX IF NOT EXISTS idx_experiments_status ON experiments(status);
CREATE INDEX IF NOT EXISTS idx_ceo_reviews_status ON ceo_reviews(status);
CREATE INDEX IF NOT EXISTS idx_metrics_timestamp ON metrics(timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_metrics_type ON metrics(metric_type);
CREATE INDEX IF NOT EXISTS idx_metrics_name ON metrics(metric_name);
CREATE INDEX IF NOT EXISTS idx_metrics_type_name ON metrics(metric_type, metric_name, timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_health_timestamp ON system_health(timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_health_status ON system_health(status);
CREATE INDEX IF NOT EXISTS idx_violations_date ON violations(violation_date DESC);
CREATE INDEX IF NOT EXISTS idx_violations_rule ON violations(rule_id);
CREATE INDEX IF NOT EXISTS idx_violations_acknowledged ON violations(acknowledged);
CREATE INDEX IF NOT EXISTS idx_workflows_name ON workflows(name);
CREATE INDEX IF NOT EXISTS idx_edges_workflow ON workflow_edges(workflow_id);
CREATE INDEX IF NOT EXISTS idx_edges_from ON workflow_edges(from_node);
CREATE INDEX IF NOT EXISTS idx_edges_to ON workflow_edges(to_node);
CREATE INDEX IF NOT EXISTS idx_runs_workflow ON workflow_runs(workflow_id);
CREATE INDEX IF NOT EXISTS idx_runs_status ON workflow_runs(status);
CREATE INDEX IF NOT EXISTS idx_runs_created ON workflow_runs(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_node_exec_run ON node_executions(run_id);
CREATE INDEX IF NOT EXISTS idx_node_exec_agent ON node_executions(agent_id);
CREATE INDEX IF NOT EXISTS idx_node_exec_status ON node_executions(status);
CREATE INDEX IF NOT EXISTS idx_node_exec_created ON node_executions(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_node_exec_node_id ON node_executions(node_id);
CREATE INDEX IF NOT EXISTS idx_node_exec_prompt_hash ON node_executions(prompt_hash);
CREATE INDEX IF NOT EXISTS idx_trails_run ON trails(run_id);
CREATE INDEX IF NOT EXISTS idx_trails_location ON trails(location);
CREATE INDEX IF NOT EXISTS idx_trails_scent ON trails(scent);
CREATE INDEX IF NOT EXISTS idx_trails_strength ON trails(strength DESC);
CREATE INDEX IF NOT EXISTS idx_trails_created ON trails(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_trails_agent ON trails(agent_id);
CREATE INDEX IF NOT EXISTS idx_decisions_run ON conductor_decisions(run_id);
CREATE INDEX IF NOT EXISTS idx_decisions_type ON conductor_decisions(decision_type);
CREATE INDEX IF NOT EXISTS idx_building_queries_type ON building_queries(query_type);
CREATE INDEX IF NOT EXISTS idx_building_queries_session ON building_queries(session_id);
CREATE INDEX IF NOT EXISTS idx_building_queries_created ON building_queries(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_building_queries_status ON building_queries(status);
CREATE INDEX IF NOT EXISTS idx_spike_reports_domain ON spike_reports(domain);
CREATE INDEX IF NOT EXISTS idx_spike_reports_topic ON spike_reports(topic);
CREATE INDEX IF NOT EXISTS idx_spike_reports_created ON spike_reports(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_spike_reports_usefulness ON spike_reports(usefulness_score DESC);
CREATE INDEX IF NOT EXISTS idx_assumptions_domain ON assumptions(domain);
CREATE INDEX IF NOT EXISTS idx_assumptions_status ON assumptions(status);
CREATE INDEX IF NOT EXISTS idx_assumptions_confidence ON assumptions(confidence DESC);
CREATE INDEX IF NOT EXISTS idx_assumptions_created ON assumptions(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_session_summaries_session ON session_summaries(session_id);
CREATE INDEX IF NOT EXISTS idx_session_summaries_project ON session_summaries(project);
CREATE INDEX IF NOT EXISTS idx_session_summaries_summarized ON session_summaries(summarized_at DESC);
CREATE INDEX IF NOT EXISTS idx_session_summaries_stale ON session_summaries(is_stale);
CREATE TRIGGER IF NOT EXISTS learnings_validate_insert
BEFORE INSERT ON learnings
FOR EACH ROW
WHEN NEW.type NOT IN ('failure', 'success', 'heuristic', 'experiment', 'observation')
   OR (CAST(NEW.severity AS INTEGER) < 1 OR CAST(NEW.severity AS INTEGER) > 5)
BEGIN
    SELECT RAISE(ABORT, 'Validation failed: invalid type or severity');
END;
CREATE TRIGGER IF NOT EXISTS learnings_validate_update
BEFORE UPDATE ON learnings
FOR EACH ROW
WHEN NEW.type NOT IN ('failure', 'success', 'heuristic', 'experiment', 'observation')
   OR (CAST(NEW.severity AS INTEGER) < 1 OR CAST(NEW.severity AS INTEGER) > 5)
BEGIN
    SELECT RAISE(ABORT, 'Validation failed: invalid type or severity');
END;
CREATE TRIGGER IF NOT EXISTS heuristics_validate_insert
BEFORE INSERT ON heuristics
FOR EACH ROW
WHEN NEW.confidence < 0.0 OR NEW.confidence > 1.0
   OR NEW.times_validated < 0
   OR (NEW.times_violated IS NOT NULL AND NEW.times_violated < 0)
BEGIN
    SELECT RAISE(ABORT, 'Validation failed: invalid confidence or counts');
END;
CREATE TRIGGER IF NOT EXISTS heuristics_validate_update
BEFORE UPDATE ON heuristics
FOR EACH ROW
WHEN NEW.confidence < 0.0 OR NEW.confidence > 1.0
   OR NEW.times_validated < 0
   OR (NEW.times_violated IS NOT NULL AND NEW.times_violated < 0)
BEGIN
    SELECT RAISE(ABORT, 'Validation failed: invalid confidence or counts');
END;
INSERT OR REPLACE INTO schema_version (version, description) VALUES (2, 'Added building_queries, spike_reports, assumptions, session_summaries tables');
INSERT OR IGNORE INTO db_operations (id, operation_count, total_vacuums, total_analyzes) VALUES (1, 0, 0, 0);
`;

/** The two tables ELF's query.py creates lazily, with their indexes (elf-loop.md 2.4). */
export const ELF_QUERY_PY_TABLES = `
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    context TEXT NOT NULL,
    options_considered TEXT,
    decision TEXT NOT NULL,
    rationale TEXT NOT NULL,
    files_touched TEXT,
    tests_added TEXT,
    status TEXT DEFAULT 'accepted',
    domain TEXT,
    superseded_by INTEGER,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (superseded_by) REFERENCES decisions(id)
);
CREATE TABLE IF NOT EXISTS invariants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    statement TEXT NOT NULL,
    rationale TEXT NOT NULL,
    domain TEXT,
    scope TEXT DEFAULT 'codebase',
    validation_type TEXT,
    validation_code TEXT,
    severity TEXT DEFAULT 'error',
    status TEXT DEFAULT 'active',
    violation_count INTEGER DEFAULT 0,
    last_validated_at DATETIME,
    last_violated_at DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_decisions_domain ON decisions(domain);
CREATE INDEX IF NOT EXISTS idx_decisions_status ON decisions(status);
CREATE INDEX IF NOT EXISTS idx_decisions_created_at ON decisions(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_decisions_superseded_by ON decisions(superseded_by);
CREATE INDEX IF NOT EXISTS idx_invariants_domain ON invariants(domain);
CREATE INDEX IF NOT EXISTS idx_invariants_status ON invariants(status);
CREATE INDEX IF NOT EXISTS idx_invariants_severity ON invariants(severity);
`;

/**
 * bash computing `learnings.summary` from a summary as ELF's record-failure.sh
 * does: sed strips colour sequences, tr strips control characters and turns
 * line breaks into spaces, each step in a command substitution (which drops
 * the newlines at the end); then `echo -e`, `head -n 1`, and the plain `echo`
 * of its SQL quoting.
 */
const ELF_SUMMARY_COLUMN = String.raw`
value=$(printf '%s' "$1" | sed 's/\x1b\[[0-9;]*[mGKHF]//g')
value=$(printf '%s' "$value" | tr -d '\000-\010\013-\037\177')
value=$(printf '%s' "$value" | tr '\r\n' '  ')
value=$(echo -e "$value" | head -n 1)
value=$(echo "$value")
printf '%s' "$value"
`;

/** The `learnings.summary` ELF's recorder stores for `summary` (a real bash child process). */
export function elfSummaryColumn(summary: string): string {
  const result = spawnSync("bash", ["-c", ELF_SUMMARY_COLUMN, "elf", summary], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C.UTF-8" },
  });
  if (result.status !== 0) throw new Error(`bash failed: ${result.stderr}`);
  return result.stdout;
}
