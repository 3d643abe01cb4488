#!/usr/bin/env node
// Builds build/kafka-mock: a tiny launcher for librdkafka's mock Kafka cluster,
// linked against the librdkafka that node-rdkafka compiles during `npm install`.
// Runs as npm's postinstall and, lazily, from scripts/infra.sh. Idempotent.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rdkafkaDir = join(root, 'node_modules', 'node-rdkafka');
const headerDir = join(rdkafkaDir, 'deps', 'librdkafka', 'src');
const libDir = join(rdkafkaDir, 'build', 'deps');
const source = join(root, 'scripts', 'kafka-mock', 'launcher.c');
const output = join(root, 'build', 'kafka-mock');

function fail(message) {
  console.error(`tollgate: cannot build the local Kafka broker: ${message}`);
  process.exit(1);
}

if (!existsSync(join(libDir, 'librdkafka.so.1'))) {
  fail(`${join(libDir, 'librdkafka.so.1')} is missing; node-rdkafka did not build (run \`npm rebuild node-rdkafka\`, needs python3, make, g++)`);
}
if (!existsSync(join(headerDir, 'rdkafka_mock.h'))) fail(`${headerDir}/rdkafka_mock.h is missing`);

const upToDate = existsSync(output) && statSync(output).mtimeMs > statSync(source).mtimeMs &&
  statSync(output).mtimeMs > statSync(join(libDir, 'librdkafka.so.1')).mtimeMs;
if (upToDate) process.exit(0);

mkdirSync(dirname(output), { recursive: true });
try {
  execFileSync('cc', ['-O2', '-Wall', '-o', output, source, `-I${headerDir}`, `-L${libDir}`,
    '-l:librdkafka.so.1', `-Wl,-rpath,${libDir}`], { stdio: 'inherit' });
} catch (err) {
  fail(`cc failed (${err.message})`);
}
console.log(`tollgate: built ${output}`);
