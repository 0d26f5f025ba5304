import { test } from 'node:test';
import assert from 'node:assert/strict';
enum Smoke { Ok = 1 }
test('ts-node loads a TypeScript-only feature (enum)', () => { assert.equal(Smoke.Ok, 1); });
