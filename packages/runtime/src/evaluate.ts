/**
 * Evaluation of a run against its seed's acceptance criteria: a mechanical check first, the
 * model only for what that leaves open. A run passes at a score ≥ 0.8 (the mean over the
 * criteria).
 *
 * Mechanical rules, per criterion, the first that applies decides:
 * 1. the run failed (error, or still calling tools at max steps) → 0;
 * 2. the criterion quotes literals (`…` or "…") → 1 when every literal appears in the final
 *    answer or a successful tool output, else 0;
 * 3. the criterion names a tool (as a whole word) → 1 when a call of it succeeded, else 0;
 * 4. otherwise inconclusive — all inconclusive criteria go to the model in one structured call.
 */

import { z } from "zod";
import type { AgentRunResult } from "./agent-loop.ts";
import { type StructuredCallOptions, structuredCall } from "./structured-call.ts";
import { truncateChars } from "./text.ts";

export const PASS_SCORE = 0.8;

export interface CriterionVerdict {
  criterion: string;
  score: number;
  method: "mechanical" | "model";
  reason: string;
}

export interface Evaluation {
  score: number;
  passed: boolean;
  verdicts: CriterionVerdict[];
  /** True when the model judged at least one criterion. */
  modelJudged: boolean;
}

/** A run's outcome as the evaluator sees it. */
export type RunOutcome = { ok: true; result: AgentRunResult } | { ok: false; code: string; message: string };

const judgeSchema = z.object({
  scores: z.array(z.object({ score: z.number().min(0).max(1), reason: z.string() })),
});

export interface EvaluateOptions extends StructuredCallOptions {
  /** Names of the tools the agent had (rule 3). */
  toolNames: readonly string[];
}

export function mechanicalVerdict(
  criterion: string,
  outcome: RunOutcome,
  toolNames: readonly string[],
): CriterionVerdict | undefined {
  if (!outcome.ok) return { criterion, score: 0, method: "mechanical", reason: `the run failed: ${outcome.code}` };
  const { result } = outcome;
  if (result.finishReason === "max-steps") {
    return { criterion, score: 0, method: "mechanical", reason: "the agent was still calling tools at max steps" };
  }
  const literals = [...criterion.matchAll(/`([^`]+)`|"([^"]+)"/g)].map((match) => match[1] ?? match[2] ?? "");
  if (literals.length > 0) {
    const haystack = [
      result.text,
      ...result.toolCalls.flatMap((call) => (call.outcome.ok ? [call.outcome.output] : [])),
    ]
      .join("\n")
      .toLowerCase();
    const missing = literals.filter((literal) => !haystack.includes(literal.toLowerCase()));
    return missing.length === 0
      ? { criterion, score: 1, method: "mechanical", reason: "every quoted text appears in the output" }
      : { criterion, score: 0, method: "mechanical", reason: `not found in the output: ${missing.join(", ")}` };
  }
  const tool = toolNames.find((name) =>
    new RegExp(`(^|[^A-Za-z0-9_])${escapeRegExp(name)}([^A-Za-z0-9_]|$)`).test(criterion),
  );
  if (tool !== undefined) {
    const calls = result.toolCalls.filter((call) => call.name === tool);
    const succeeded = calls.some((call) => call.outcome.ok);
    return {
      criterion,
      score: succeeded ? 1 : 0,
      method: "mechanical",
      reason: succeeded
        ? `${tool} succeeded`
        : calls.length === 0
          ? `${tool} was never called`
          : `every ${tool} call failed`,
    };
  }
  return undefined;
}

export async function evaluate(
  criteria: readonly string[],
  outcome: RunOutcome,
  options: EvaluateOptions,
): Promise<Evaluation> {
  const list = criteria.length > 0 ? criteria : ["the goal is reached"];
  const verdicts: Array<CriterionVerdict | undefined> = list.map((criterion) =>
    mechanicalVerdict(criterion, outcome, options.toolNames),
  );
  const open = list.flatMap((criterion, index) => (verdicts[index] === undefined ? [{ criterion, index }] : []));
  if (open.length > 0 && outcome.ok) {
    const answer = await structuredCall(
      options,
      judgeSchema,
      "You judge an agent's work. For each numbered acceptance criterion, in order, give a score from 0 (not met) to 1 (fully met) and a short reason.",
      [
        "Acceptance criteria:",
        ...open.map((item, position) => `${position + 1}. ${item.criterion}`),
        "",
        "The agent's final answer:",
        truncateChars(outcome.result.text, 8_000),
        "",
        "Tool calls:",
        ...outcome.result.toolCalls.map(
          (call) =>
            `- ${call.name}: ${call.outcome.ok ? truncateChars(call.outcome.output, 500) : `${call.outcome.errorCode} ${call.outcome.message}`}`,
        ),
      ].join("\n"),
    );
    for (const [position, item] of open.entries()) {
      const judged = answer.scores[position];
      verdicts[item.index] = {
        criterion: item.criterion,
        score: judged?.score ?? 0,
        method: "model",
        reason: judged?.reason ?? "the judge gave no score for this criterion",
      };
    }
  }
  const final = verdicts.map(
    (verdict, index) =>
      verdict ?? { criterion: list[index] ?? "", score: 0, method: "mechanical" as const, reason: "not judged" },
  );
  const score = final.reduce((sum, verdict) => sum + verdict.score, 0) / final.length;
  const rounded = Math.round(score * 1e6) / 1e6;
  return {
    score: rounded,
    passed: rounded >= PASS_SCORE,
    verdicts: final,
    modelJudged: final.some((verdict) => verdict.method === "model"),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
