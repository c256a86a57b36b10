/**
 * The rest of ELF's database schema: what ELF's `templates/init_db.sql`
 * creates besides `learnings` and `heuristics` (their definitions are in
 * schema.ts), and the two tables ELF's `query/query.py` creates lazily,
 * `decisions` and `invariants`, with their indexes.
 *
 * Columns, types, defaults, CHECKs, foreign keys and index names are ELF's.
 * query.py declares several of init_db.sql's tables again, more weakly; the
 * definitions here are init_db.sql's. schema.ts (version 3) applies them:
 *   - `ELF_TABLES`: each with CREATE TABLE IF NOT EXISTS, so a table that
 *     exists, whatever its columns, is left as it is;
 *   - `ELF_INDEXES`: each only where its table has every column the index
 *     names and no schema object has its name (a table ELF's query.py or an
 *     older ELF made may lack a column: ELF's own init, run by the sqlite3
 *     shell, fails on that one statement and goes on);
 *   - `ELF_SEED_ROWS`: each only where its table has the row's columns, with
 *     INSERT OR IGNORE, so an existing row is never replaced (init_db.sql
 *     writes its schema_version row with INSERT OR REPLACE; lore does not
 *     rewrite rows).
 * init_db.sql ends with ANALYZE; lore does not run it (it writes planner
 * statistics, no table of ELF's).
 */

/** CREATE TABLE IF NOT EXISTS for every ELF table besides learnings and heuristics, in init_db.sql's order, then query.py's two. */
export const ELF_TABLES: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS experiments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  hypothesis TEXT,
  status TEXT DEFAULT 'active',
  cycles_run INTEGER DEFAULT 0,
  folder_path TEXT,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
)`,
  `CREATE TABLE IF NOT EXISTS ceo_reviews (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL,
  context TEXT,
  recommendation TEXT,
  status TEXT DEFAULT 'pending',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  reviewed_at DATETIME
)`,
  `CREATE TABLE IF NOT EXISTS cycles (
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
)`,
  `CREATE TABLE IF NOT EXISTS metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
  metric_type TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  metric_value REAL NOT NULL,
  tags TEXT,
  context TEXT
)`,
  `CREATE TABLE IF NOT EXISTS system_health (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp DATETIME DEFAULT CURRENT_TIMESTAMP,
  status TEXT NOT NULL,
  db_integrity TEXT,
  db_size_mb REAL,
  disk_free_mb REAL,
  git_status TEXT,
  stale_locks INTEGER DEFAULT 0,
  details TEXT
)`,
  `CREATE TABLE IF NOT EXISTS violations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_id INTEGER NOT NULL,
  rule_name TEXT NOT NULL,
  violation_date DATETIME DEFAULT CURRENT_TIMESTAMP,
  description TEXT,
  session_id TEXT,
  acknowledged INTEGER DEFAULT 0
)`,
  `CREATE TABLE IF NOT EXISTS schema_version (
  version INTEGER PRIMARY KEY,
  applied_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  description TEXT
)`,
  `CREATE TABLE IF NOT EXISTS db_operations (
  id INTEGER PRIMARY KEY CHECK(id = 1),
  operation_count INTEGER DEFAULT 0,
  last_vacuum DATETIME,
  last_analyze DATETIME,
  total_vacuums INTEGER DEFAULT 0,
  total_analyzes INTEGER DEFAULT 0
)`,
  `CREATE TABLE IF NOT EXISTS workflows (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT,
  nodes_json TEXT NOT NULL DEFAULT '[]',
  config_json TEXT DEFAULT '{}',
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
)`,
  `CREATE TABLE IF NOT EXISTS workflow_edges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow_id INTEGER NOT NULL,
  from_node TEXT NOT NULL,
  to_node TEXT NOT NULL,
  condition TEXT DEFAULT '',
  priority INTEGER DEFAULT 100,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (workflow_id) REFERENCES workflows(id) ON DELETE CASCADE
)`,
  `CREATE TABLE IF NOT EXISTS workflow_runs (
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
)`,
  `CREATE TABLE IF NOT EXISTS node_executions (
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
)`,
  `CREATE TABLE IF NOT EXISTS trails (
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
)`,
  `CREATE TABLE IF NOT EXISTS conductor_decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL,
  decision_type TEXT NOT NULL,
  decision_data TEXT DEFAULT '{}',
  reason TEXT,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (run_id) REFERENCES workflow_runs(id) ON DELETE CASCADE
)`,
  `CREATE TABLE IF NOT EXISTS building_queries (
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
)`,
  `CREATE TABLE IF NOT EXISTS spike_reports (
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
)`,
  `CREATE TABLE IF NOT EXISTS assumptions (
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
)`,
  `CREATE TABLE IF NOT EXISTS session_summaries (
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
)`,
  `CREATE TABLE IF NOT EXISTS decisions (
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
)`,
  `CREATE TABLE IF NOT EXISTS invariants (
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
)`,
];

export interface ElfIndex {
  name: string;
  table: string;
  /** The indexed columns in order, each optionally followed by ` DESC`. */
  columns: readonly string[];
}

function indexes(table: string, entries: ReadonlyArray<readonly [string, ...string[]]>): ElfIndex[] {
  return entries.map(([name, ...columns]) => ({ name, table, columns }));
}

/** ELF's indexes on the tables of ELF_TABLES, by init_db.sql's names (and query.py's for decisions and invariants). */
export const ELF_INDEXES: readonly ElfIndex[] = [
  ...indexes("experiments", [["idx_experiments_status", "status"]]),
  ...indexes("ceo_reviews", [["idx_ceo_reviews_status", "status"]]),
  ...indexes("metrics", [
    ["idx_metrics_timestamp", "timestamp DESC"],
    ["idx_metrics_type", "metric_type"],
    ["idx_metrics_name", "metric_name"],
    ["idx_metrics_type_name", "metric_type", "metric_name", "timestamp DESC"],
  ]),
  ...indexes("system_health", [
    ["idx_health_timestamp", "timestamp DESC"],
    ["idx_health_status", "status"],
  ]),
  ...indexes("violations", [
    ["idx_violations_date", "violation_date DESC"],
    ["idx_violations_rule", "rule_id"],
    ["idx_violations_acknowledged", "acknowledged"],
  ]),
  ...indexes("workflows", [["idx_workflows_name", "name"]]),
  ...indexes("workflow_edges", [
    ["idx_edges_workflow", "workflow_id"],
    ["idx_edges_from", "from_node"],
    ["idx_edges_to", "to_node"],
  ]),
  ...indexes("workflow_runs", [
    ["idx_runs_workflow", "workflow_id"],
    ["idx_runs_status", "status"],
    ["idx_runs_created", "created_at DESC"],
  ]),
  ...indexes("node_executions", [
    ["idx_node_exec_run", "run_id"],
    ["idx_node_exec_agent", "agent_id"],
    ["idx_node_exec_status", "status"],
    ["idx_node_exec_created", "created_at DESC"],
    ["idx_node_exec_node_id", "node_id"],
    ["idx_node_exec_prompt_hash", "prompt_hash"],
  ]),
  ...indexes("trails", [
    ["idx_trails_run", "run_id"],
    ["idx_trails_location", "location"],
    ["idx_trails_scent", "scent"],
    ["idx_trails_strength", "strength DESC"],
    ["idx_trails_created", "created_at DESC"],
    ["idx_trails_agent", "agent_id"],
  ]),
  ...indexes("conductor_decisions", [
    ["idx_decisions_run", "run_id"],
    ["idx_decisions_type", "decision_type"],
  ]),
  ...indexes("building_queries", [
    ["idx_building_queries_type", "query_type"],
    ["idx_building_queries_session", "session_id"],
    ["idx_building_queries_created", "created_at DESC"],
    ["idx_building_queries_status", "status"],
  ]),
  ...indexes("spike_reports", [
    ["idx_spike_reports_domain", "domain"],
    ["idx_spike_reports_topic", "topic"],
    ["idx_spike_reports_created", "created_at DESC"],
    ["idx_spike_reports_usefulness", "usefulness_score DESC"],
  ]),
  ...indexes("assumptions", [
    ["idx_assumptions_domain", "domain"],
    ["idx_assumptions_status", "status"],
    ["idx_assumptions_confidence", "confidence DESC"],
    ["idx_assumptions_created", "created_at DESC"],
  ]),
  ...indexes("session_summaries", [
    ["idx_session_summaries_session", "session_id"],
    ["idx_session_summaries_project", "project"],
    ["idx_session_summaries_summarized", "summarized_at DESC"],
    ["idx_session_summaries_stale", "is_stale"],
  ]),
  ...indexes("decisions", [
    ["idx_decisions_domain", "domain"],
    ["idx_decisions_status", "status"],
    ["idx_decisions_created_at", "created_at DESC"],
    ["idx_decisions_superseded_by", "superseded_by"],
  ]),
  ...indexes("invariants", [
    ["idx_invariants_domain", "domain"],
    ["idx_invariants_status", "status"],
    ["idx_invariants_severity", "severity"],
  ]),
];

export interface ElfSeedRow {
  table: string;
  values: Readonly<Record<string, string | number>>;
}

/** init_db.sql's seed rows: its schema version (2) and the one db_operations row. */
export const ELF_SEED_ROWS: readonly ElfSeedRow[] = [
  {
    table: "schema_version",
    values: { version: 2, description: "Added building_queries, spike_reports, assumptions, session_summaries tables" },
  },
  { table: "db_operations", values: { id: 1, operation_count: 0, total_vacuums: 0, total_analyzes: 0 } },
];
