// Sharp, as the seed stack used it: decode, resize to 1600 px wide (Lanczos3, Sharp's
// default kernel), encode lossy WebP at quality 80. Prints the median of the runs in ms.
// Usage: node resize.mjs INPUT OUTPUT RUNS
import sharp from "sharp";
import { readFileSync } from "node:fs";

const [input, output, runs = "5"] = process.argv.slice(2);
const source = readFileSync(input);
sharp.concurrency(1); // one thread, as the component has
sharp.cache(false);
const times = [];
for (let i = 0; i <= Number(runs); i++) {
  const started = process.hrtime.bigint();
  const info = await sharp(source).rotate().resize({ width: 1600 }).webp({ quality: 80 }).toFile(output);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (i > 0) times.push(ms); // the first run warms up
  if (i === 0 && info.width !== 1600) throw new Error(`unexpected width ${info.width}`);
}
times.sort((a, b) => a - b);
console.log(times[Math.floor(times.length / 2)].toFixed(1));
