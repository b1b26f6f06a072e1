#!/usr/bin/env node
// api-report.mjs: the public surface of every package entry point, recorded as an api-extractor
// report (`.api.md`) under version control (STYLE.md: "The public surface recorded and reviewed").
//
// Usage (after `tsc -b`; the reports are made from the compiled `.d.ts` in `dist/src`):
//   node scripts/api-report.mjs            check (`pnpm api:check`): fails if a report differs
//   node scripts/api-report.mjs --update   rewrite the reports (`pnpm api:update`), then review
//                                          and commit them
// `pnpm test` runs the check after the tests (scripts/run-tests.mjs).
//
// One api-extractor configuration per entry point (api-extractor takes one entry per run),
// generated below from ENTRIES; the four runs share one TypeScript program. In check mode
// (api-extractor's non-local mode) a changed report is written to REPORT_TEMP, not over the
// checked-in one, and the diff is printed. Warnings fail the check too: a public type that
// refers to an unexported one (`ae-forgotten-export`) is fixed by exporting it from that entry.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT_TEMP = join(ROOT, 'node_modules/.cache/api-report');

/** Entry point (the name it is imported by), its package folder, compiled `.d.ts`, report name. */
const ENTRIES = [
  { name: '@procmesh/core', pkg: 'packages/core', dts: 'dist/src/index.d.ts', report: 'core' },
  { name: '@procmesh/core/transport', pkg: 'packages/core', dts: 'dist/src/transport.d.ts', report: 'transport' },
  { name: '@procmesh/core/testing', pkg: 'packages/core', dts: 'dist/src/testing.d.ts', report: 'testing' },
  { name: '@procmesh/worker-host', pkg: 'packages/worker-host', dts: 'dist/src/index.d.ts', report: 'worker-host' },
];

const update = process.argv.includes('--update');
const unknownArgs = process.argv.slice(2).filter((a) => a !== '--update');
if (unknownArgs.length > 0) {
  console.error(`api-report: unknown argument ${unknownArgs.join(' ')}\nusage: node scripts/api-report.mjs [--update]`);
  process.exit(2);
}

function prepare(entry) {
  const projectFolder = join(ROOT, entry.pkg);
  const packageJsonFullPath = join(projectFolder, 'package.json');
  const packageJson = JSON.parse(readFileSync(packageJsonFullPath, 'utf8'));
  const mainEntryPointFilePath = join(projectFolder, entry.dts);
  if (!existsSync(mainEntryPointFilePath)) {
    console.error(`api-report: ${relative(ROOT, mainEntryPointFilePath)} is missing; run \`npx tsc -b\` first`);
    process.exit(2);
  }
  const reportTempFolder = join(REPORT_TEMP, entry.report);
  mkdirSync(reportTempFolder, { recursive: true });
  mkdirSync(join(projectFolder, 'api'), { recursive: true });
  return ExtractorConfig.prepare({
    configObject: {
      projectFolder,
      mainEntryPointFilePath,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            lib: ['ES2023'],
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            types: ['node'],
            strict: true,
            skipLibCheck: true,
          },
          files: [mainEntryPointFilePath],
        },
        skipLibCheck: true,
      },
      apiReport: {
        enabled: true,
        reportFileName: entry.report,
        reportFolder: join(projectFolder, 'api'),
        reportTempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          // procmesh does not use release tags (@public, @beta ...): the entry point is the tag.
          'ae-missing-release-tag': { logLevel: 'none' },
          // Not every member has a doc comment; the report is about the surface, not the docs.
          'ae-undocumented': { logLevel: 'none' },
          // A public type that refers to one its entry does not export: see onForgottenExport.
          'ae-forgotten-export': { logLevel: 'warning', addToApiReportFile: false },
        },
        // The doc comments are Markdown-ish prose, not TSDoc; its syntax warnings are noise.
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: undefined,
    // The report's title names the package (api-extractor takes no subpath); the file name says the entry.
    packageJson,
    packageJsonFullPath,
  });
}

const configs = ENTRIES.map((entry) => ({ entry, config: prepare(entry) }));
const compilerState = CompilerState.create(configs[0].config, {
  additionalEntryPoints: configs.slice(1).map(({ config }) => config.mainEntryPointFilePath),
});

/**
 * api-extractor checks one entry point at a time (microsoft/rushstack#1596), so a type of
 * `@procmesh/core/transport` that refers to `ActorId` (exported by `@procmesh/core`) counts as a
 * forgotten export. Such a reference is fine: the type is public, from a sibling entry of the
 * same package. A symbol that no entry of its package exports is a real problem and fails the
 * run, unless it is listed in KNOWN_FORGOTTEN with the reason it cannot be fixed yet.
 */
const KNOWN_FORGOTTEN = {};

/** Every name exported by each package's entries (from the shared program's type checker). */
const exportedByPackage = new Map();
{
  const checker = compilerState.program.getTypeChecker();
  for (const { entry, config } of configs) {
    const source = compilerState.program.getSourceFile(config.mainEntryPointFilePath);
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    const names = exportedByPackage.get(entry.pkg) ?? new Set();
    if (moduleSymbol !== undefined) for (const s of checker.getExportsOfModule(moduleSymbol)) names.add(s.name);
    exportedByPackage.set(entry.pkg, names);
  }
}

const notes = [];
/** Whether a forgotten export is accepted (a sibling entry exports it, or it is known). */
function onForgottenExport(entry, message) {
  const symbol = /The symbol "([^"]+)"/.exec(message.text)?.[1]?.replace(/_\d+$/, '');
  if (symbol === undefined) return false;
  if (exportedByPackage.get(entry.pkg)?.has(symbol)) return true;
  const known = KNOWN_FORGOTTEN[`${entry.name} ${symbol}`];
  if (known !== undefined) notes.push(`${entry.name}: ${symbol} is not exported: ${known}`);
  return known !== undefined;
}

const changed = [];
const problems = [];
const diffs = [];
for (const { entry, config } of configs) {
  const reportPath = relative(ROOT, config.reportFilePath);
  const result = Extractor.invoke(config, {
    localBuild: update,
    compilerState,
    printApiReportDiff: !update,
    messageCallback: (message) => {
      message.handled = true;
      const id = message.messageId;
      if (id === 'console-api-report-diff') {
        diffs.push(`${entry.name}: ${message.text}`);
      } else if (id.startsWith('console-api-report-')) {
        // created, copied, not-copied, unchanged ...: the summary below says it, with the fix
      } else if (id === 'ae-forgotten-export' && onForgottenExport(entry, message)) {
        // a sibling entry exports it, or it is in KNOWN_FORGOTTEN
      } else if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning) {
        const where = message.sourceFilePath ? ` (${relative(ROOT, message.sourceFilePath)}:${message.sourceFileLine ?? '?'})` : '';
        problems.push(`${entry.name}: ${id}: ${message.text}${where}`);
      }
      // everything else (the preamble, verbose chatter) is dropped
    },
  });
  if (result.apiReportChanged) changed.push({ entry, reportPath, temp: relative(ROOT, config.reportTempFilePath) });
  if (update && result.apiReportChanged) console.log(`api-report: updated ${reportPath}`);
}

for (const note of new Set(notes)) console.log(`api-report: note: ${note}`);
for (const diff of diffs) console.error(`\napi-report: ${diff}`);
if (problems.length > 0) {
  console.error(`\napi-report: api-extractor reported ${problems.length} problem(s):`);
  for (const p of problems) console.error(`  ${p}`);
  if (problems.some((p) => p.includes('ae-forgotten-export'))) {
    console.error('ae-forgotten-export: a public type refers to one that no entry of its package exports; export it from the right entry.');
  }
}
if (!update && changed.length > 0) {
  console.error('\napi-report: the public surface changed without its API report:');
  for (const { entry, reportPath, temp } of changed) {
    const what = existsSync(join(ROOT, reportPath)) ? 'differs' : 'is missing';
    console.error(`  ${entry.name}: ${reportPath} ${what} (the new report is ${temp})`);
  }
  console.error('If the change is intended, run `pnpm api:update` (= `tsc -b && node scripts/api-report.mjs --update`) and commit the reports.');
}
if (problems.length > 0 || (!update && changed.length > 0)) process.exit(1);
if (!update) console.log(`api-report: ${ENTRIES.length} reports match the public surface`);
