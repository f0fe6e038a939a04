// Marks the `verbatim` command's entry executable after the build writes it, as an installed
// package's bin is. npx marks it only when it first links a checkout's bin into its cache: a
// checkout cloned again at the same path reused that link and failed ("Permission denied").
import { chmodSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const file of Object.values(bin)) chmodSync(join(root, file), 0o755);
