// Allure's FileSystemWriter fsyncs every result and attachment file, and it runs on the
// cucumber coordinator's only thread: about 2.5 ms per file here, some 470 files per suite
// (over a second in which the workers wait for their next scenario). This writer keeps the
// atomic publish (a temporary file, then rename: a reader never sees half a file) and leaves
// durability across a power cut to the OS, as Allure 2 did. cli/run.ts hands an instance to
// allure-cucumberjs (formatOptions.writer; a path would not do: the ESM build of
// allure-js-commons cannot require it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { FileSystemWriter, type Writer } from 'allure-js-commons/sdk/reporter';

function publish(file: string, data: string | Buffer): void {
  const tmp = path.join(path.dirname(file), `.allure-write-${randomUUID()}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Allure's Writer, in the results folder allure-cucumberjs is given (formatOptions.resultsDir). */
export class UnsyncedAllureWriter implements Writer {
  // environment.properties: one file per run, written the stock way.
  private readonly stock: FileSystemWriter;
  constructor(private readonly config: { resultsDir: string }) {
    this.stock = new FileSystemWriter(config);
    fs.mkdirSync(config.resultsDir, { recursive: true });
  }
  private file(name: string): string { return path.join(this.config.resultsDir, name); }
  writeAttachment(name: string, content: Buffer): void { publish(this.file(name), content); }
  writeAttachmentFromPath(name: string, from: string): void { publish(this.file(name), fs.readFileSync(from)); }
  writeEnvironmentInfo(info: Parameters<Writer['writeEnvironmentInfo']>[0]): void { this.stock.writeEnvironmentInfo(info); }
  writeCategoriesDefinitions(categories: unknown[]): void { publish(this.file('categories.json'), JSON.stringify(categories)); }
  writeGroup(result: { uuid: string }): void { publish(this.file(`${result.uuid}-container.json`), JSON.stringify(result)); }
  writeResult(result: { uuid: string }): void { publish(this.file(`${result.uuid}-result.json`), JSON.stringify(result)); }
  writeGlobals(name: string, info: unknown): void { publish(this.file(name), JSON.stringify(info)); }
}
