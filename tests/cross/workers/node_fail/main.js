// A Node worker that throws two frames down: the caller gets the remote
// type, message and frames parsed from Node's stack on stderr.
const fs = require("fs");

function checkAmount(p) {
  throw new RangeError("amount out of range: " + p.amount); // THROW-LINE
}

checkAmount(JSON.parse(fs.readFileSync(0, "utf8")));
