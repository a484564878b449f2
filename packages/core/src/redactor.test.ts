import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactingLogger } from "./redacting-logger.ts";
import { isSecretName, noRedaction, SecretRedactor, secretsFromEnvironment } from "./redactor.ts";
import { createMemoryLogger } from "./testing/memory-logger.ts";

const key = "sk-live-0123456789abcdef";
const token = "oxt_AbCdEfGhIjKlMnOp";

describe("SecretRedactor", () => {
  const redactor = new SecretRedactor([
    { label: "llm-api-key", value: key },
    { label: "api-token", value: token },
  ]);

  it("replaces every occurrence with a marker naming the secret", () => {
    expect(redactor.redact(`key=${key}; again ${key}; token ${token}.`)).toBe(
      "key=[redacted:llm-api-key]; again [redacted:llm-api-key]; token [redacted:api-token].",
    );
  });

  it("returns the same string when no secret occurs", () => {
    const text = "nothing to see here";
    expect(redactor.redact(text)).toBe(text);
  });

  it("ignores values shorter than the minimum so short values do not shred text", () => {
    const short = new SecretRedactor([
      { label: "a", value: "1" },
      { label: "b", value: "true" },
      { label: "c", value: "1234567" },
    ]);
    expect(short.size).toBe(0);
    expect(short.redact("1 true 1234567")).toBe("1 true 1234567");
  });

  it("matches the longer of two overlapping secrets whole", () => {
    const nested = new SecretRedactor([
      { label: "short", value: "abcdefgh" },
      { label: "long", value: "abcdefghijkl" },
    ]);
    expect(nested.redact("xabcdefghijkly abcdefgh")).toBe("x[redacted:long]y [redacted:short]");
  });

  it("treats regular-expression characters in a secret literally", () => {
    const odd = new SecretRedactor([{ label: "odd", value: "a.b*c+d?(e)[f]$1" }]);
    expect(odd.redact("a.b*c+d?(e)[f]$1 and aXb*c+d?(e)[f]$1")).toBe("[redacted:odd] and aXb*c+d?(e)[f]$1");
  });

  it("redacts strings and keys deep inside plain values, copying only what changed", () => {
    const untouched = { list: ["plain"], n: 1 };
    const value = { a: { b: [1, `x ${key}`], [token]: "v" }, untouched, when: new Date(0) };
    const redacted = redactor.redactValue(value);
    expect(redacted).toEqual({
      a: { b: [1, "x [redacted:llm-api-key]"], "[redacted:api-token]": "v" },
      untouched,
      when: new Date(0),
    });
    expect(redacted.untouched).toBe(untouched);
    expect(value.a.b[1]).toBe(`x ${key}`);
    const clean = { a: ["b", { c: "d" }] };
    expect(redactor.redactValue(clean)).toBe(clean);
  });

  it("never leaves a secret in its output (property)", () => {
    // Secrets and text from a small alphabet, so secrets overlap each other and the text often.
    const piece = fc.string({ unit: fc.constantFrom("a", "b", "c", "-"), minLength: 0, maxLength: 12 });
    const secret = fc.string({ unit: fc.constantFrom("a", "b", "c", "-"), minLength: 8, maxLength: 14 });
    fc.assert(
      fc.property(
        fc.array(secret, { minLength: 1, maxLength: 4 }),
        fc.array(piece, { maxLength: 8 }),
        (secrets, pieces) => {
          const subject = new SecretRedactor(secrets.map((value, index) => ({ label: `s${index}`, value })));
          const text = pieces.map((part, index) => `${part}${secrets[index % secrets.length]}`).join("");
          const output = subject.redact(text);
          for (const value of secrets) expect(output.includes(value)).toBe(false);
        },
      ),
    );
  });

  it("leaves text without secrets unchanged (property)", () => {
    const subject = new SecretRedactor([{ label: "k", value: "QQQQQQQQ" }]);
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        fc.pre(!text.includes("QQQQQQQQ"));
        expect(subject.redact(text)).toBe(text);
      }),
    );
  });
});

describe("noRedaction", () => {
  it("changes nothing", () => {
    const value = { a: key };
    expect(noRedaction.redactValue(value)).toBe(value);
    expect(noRedaction.redact(key)).toBe(key);
  });
});

describe("secretsFromEnvironment", () => {
  it("takes the variables whose names name a key, token, secret or password", () => {
    const secrets = secretsFromEnvironment({
      OPENAI_API_KEY: "k1",
      GITHUB_TOKEN: "t1",
      AWS_SECRET_ACCESS_KEY: "s1",
      DB_PASSWORD: "p1",
      APIKEY: "a1",
      OXIOS_A2A_TOKENS: "{}",
      npm_package_keywords_0: "agent",
      TOKENIZER: "bpe",
      HOME: "/home/me",
      EMPTY_TOKEN: "",
      UNSET_KEY: undefined,
    });
    expect(secrets.map((secret) => secret.label).sort()).toEqual([
      "env:APIKEY",
      "env:AWS_SECRET_ACCESS_KEY",
      "env:DB_PASSWORD",
      "env:GITHUB_TOKEN",
      "env:OPENAI_API_KEY",
      "env:OXIOS_A2A_TOKENS",
    ]);
  });

  it("matches name parts, not substrings", () => {
    expect(isSecretName("my-api.key")).toBe(true);
    expect(isSecretName("Authorization")).toBe(false);
    expect(isSecretName("KEYBOARD_LAYOUT")).toBe(false);
  });
});

describe("redactingLogger", () => {
  it("redacts messages, fields, errors and child fields before the wrapped logger sees them", () => {
    const memory = createMemoryLogger();
    const redactor = new SecretRedactor([{ label: "llm-api-key", value: key }]);
    const logger = redactingLogger(memory, redactor).child({ header: `Bearer ${key}` });
    const error = Object.assign(new Error(`401 for ${key}`), { code: "PROVIDER_AUTH" });
    logger.warn(`calling with ${key}`, { nested: { list: [key] }, error });
    expect(JSON.stringify(memory.records)).not.toContain(key);
    expect(memory.records[0]).toMatchObject({
      message: "calling with [redacted:llm-api-key]",
      fields: {
        header: "Bearer [redacted:llm-api-key]",
        nested: { list: ["[redacted:llm-api-key]"] },
        error: { code: "PROVIDER_AUTH", message: "401 for [redacted:llm-api-key]" },
      },
    });
  });
});
