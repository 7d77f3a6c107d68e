// Preloaded (NODE_OPTIONS=--require) into every node process of a measured synth. At exit it
// appends one JSON line to $BENCH_MEASURE_FILE: the process's peak RSS and CPU time, and which
// @cdktf/provider-aws modules it loaded (so the floor app can load exactly the same ones).
// Node cannot report a child's peak RSS to its parent, hence this.
"use strict";
const fs = require("node:fs");

const file = process.env.BENCH_MEASURE_FILE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const providerModules = Object.keys(require.cache).filter((key) =>
      /[\\/]@cdktf[\\/]provider-aws[\\/]lib[\\/][^\\/]+[\\/]index\.js$/.test(key),
    );
    const line = {
      pid: process.pid,
      script: process.argv[1] ?? "",
      maxRssKb: usage.maxRSS,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      providerModules,
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
