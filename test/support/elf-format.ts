// ELF's failure template after the Summary, as ../shared/reference/elf-format.md
// gives it: the tests compare lore's files with it and build ELF-written files
// from it, independently of lore's own renderer.
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
