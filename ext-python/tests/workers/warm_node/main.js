// A warm worker in Node following the documented framing: one JSON
// payload per line on stdin, one JSON line per request on fd 3.
const fs = require("fs");
const readline = require("readline");

const fd = Number(process.env.MULTIVERSE_RESULT_FD || 3);
fs.writeSync(fd, '{"multiverse":"ready"}\n'); // the warm greeting, before any request
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const payload = JSON.parse(line);
  console.log("node: got a request"); // stdout is free for logs
  fs.writeSync(fd, JSON.stringify({ pid: process.pid, upper: String(payload.s).toUpperCase() }) + "\n");
});
rl.on("close", () => process.exit(0));
