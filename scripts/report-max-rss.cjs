// Preloaded by `npm run bench` (node --require) into the lore processes it
// measures: prints the process's peak resident set size on exit, in KiB, on a
// line of its own on stderr.
process.on("exit", () => {
  process.stderr.write(`\nbench-max-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
