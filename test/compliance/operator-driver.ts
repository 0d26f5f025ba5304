// The operator adapter alone, for test/compliance/operator.test.ts: `node -r ./steps/register.js
// test/compliance/operator-driver.ts <terminal.yaml> <request.json> <result.json>` asks the
// operator (whoever holds this process's terminal) for one action and writes the ActionResult
// to result.json. The platform is a recorder in front of a stub that answers infcode 0, so
// the operator sees the recorder's count rise when they send it something.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { act, loadTerminal, PlatformRecorder, type ActionRequest } from '../../compliance';

async function main(terminalFile: string, requestFile: string, resultFile: string): Promise<void> {
  const stub = http.createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"infcode":0}')); });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  const recorder = await PlatformRecorder.start(`http://127.0.0.1:${(stub.address() as AddressInfo).port}`);
  try {
    const request = { ...JSON.parse(fs.readFileSync(requestFile, 'utf8')) as ActionRequest, platformUrl: recorder.url };
    recorder.begin();
    const result = await act(loadTerminal(terminalFile), request, { platformRequests: () => recorder.exchanges().length });
    fs.writeFileSync(resultFile, JSON.stringify(result));
  } finally {
    await recorder.close();
    stub.close();
  }
}

const [terminalFile, requestFile, resultFile] = process.argv.slice(2);
main(terminalFile!, requestFile!, resultFile!).catch((err: Error) => { console.error(err.stack); process.exit(1); });
