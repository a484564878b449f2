/**
 * Time-ordered unique ids in the UUIDv7 layout: 48 bits of Unix milliseconds, then a 12-bit
 * sequence that keeps ids strictly increasing within one millisecond of one process, then
 * 62 random bits. Lowercase hex with dashes, so string order is creation order.
 */

let lastMillis = -1;
let sequence = 0;

const hex: string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

// crypto.getRandomValues costs microseconds per call; one call fills a pool for 256 ids.
const pool = new Uint8Array(16 * 256);
let poolOffset = pool.length;
const scratch = new Uint8Array(16);

function randomBytes16(): Uint8Array {
  if (poolOffset >= pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  scratch.set(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return scratch;
}

/** Returns a new UUIDv7 string; ids from one process sort in creation order. */
export function newId(nowMillis: number = Date.now()): string {
  let millis = Math.max(Math.floor(nowMillis), 0);
  if (millis <= lastMillis) {
    millis = lastMillis;
    sequence += 1;
    if (sequence > 0xfff) {
      // Sequence exhausted within one millisecond: borrow the next millisecond.
      millis += 1;
      sequence = 0;
    }
  } else {
    sequence = 0;
  }
  lastMillis = millis;

  const bytes = randomBytes16();
  const high = Math.floor(millis / 2 ** 16);
  const low = millis % 2 ** 16;
  bytes[0] = (high >>> 24) & 0xff;
  bytes[1] = (high >>> 16) & 0xff;
  bytes[2] = (high >>> 8) & 0xff;
  bytes[3] = high & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = 0x70 | ((sequence >>> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);

  let out = "";
  for (let index = 0; index < 16; index++) {
    if (index === 4 || index === 6 || index === 8 || index === 10) out += "-";
    out += hex[bytes[index] ?? 0];
  }
  return out;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True when `value` has the shape of an id made by `newId`. */
export function isId(value: unknown): value is string {
  return typeof value === "string" && uuidPattern.test(value);
}

/** The Unix milliseconds encoded in an id made by `newId`. */
export function idTimestamp(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
