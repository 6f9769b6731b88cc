// A Node worker: logs on stdout, answers on the result channel (fd 3).
const fs = require("fs");
const payload = JSON.parse(fs.readFileSync(0, "utf8"));
console.log("a log line: stdout is free");
fs.writeSync(3, JSON.stringify({
  lang: "node", echo: payload, worker: process.env.MULTIVERSE_WORKER,
  argv: process.argv.slice(2),
}));
