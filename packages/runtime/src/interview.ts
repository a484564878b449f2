/**
 * The interview: the orchestrator's first model call. One structured-output request turns
 * the session's conversation into a decision — a chat reply, clarifying questions, or a
 * seed (goal, constraints, acceptance criteria) ready to run.
 *
 * ambiguity = 1 − (0.4·goal + 0.3·constraints + 0.3·criteria) over the model's clarity
 * scores; ready when ≤ 0.2. A simple task with ambiguity ≤ 0.3 becomes a seed straight from
 * the interview's fields, without a second model call; otherwise a second structured call
 * writes the seed.
 */

import { type Clock, KernelError } from "@oxios/core";
import { z } from "zod";
import type { CircuitBreakers } from "./circuit-breaker.ts";
import { RuntimeErrorCode } from "./error-codes.ts";
import type { RetryPolicy } from "./provider-call.ts";
import type { ResolvedModel } from "./providers/resolve-model.ts";
import { structuredCall } from "./structured-call.ts";
import type { Seed } from "./system-prompt.ts";

export const READY_AMBIGUITY = 0.2;
export const SIMPLE_SEED_AMBIGUITY = 0.3;

const clarity = z.number().min(0).max(1);

export const interviewSchema = z.object({
  isTask: z.boolean(),
  chatResponse: z.string(),
  complexity: z.enum(["simple", "moderate", "complex"]),
  questions: z.array(z.string()).max(3),
  clarity: z.object({ goal: clarity, constraints: clarity, criteria: clarity }),
  goal: z.string(),
  constraints: z.array(z.string()),
  acceptanceCriteria: z.array(z.string()),
});
export type InterviewAnswer = z.infer<typeof interviewSchema>;

const seedSchema = z.object({
  goal: z.string().min(1),
  constraints: z.array(z.string()),
  acceptanceCriteria: z.array(z.string()).min(1),
});

export interface InterviewTurn {
  role: "user" | "assistant";
  text: string;
}

export type InterviewDecision =
  | { kind: "chat"; reply: string; answer: InterviewAnswer; ambiguity: number }
  | { kind: "questions"; questions: string[]; answer: InterviewAnswer; ambiguity: number }
  | { kind: "seed"; seed: Seed; answer: InterviewAnswer; ambiguity: number; seedCall: boolean };

export function ambiguity(scores: InterviewAnswer["clarity"]): number {
  const value = 1 - (0.4 * scores.goal + 0.3 * scores.constraints + 0.3 * scores.criteria);
  return Math.round(value * 1e6) / 1e6;
}

export interface InterviewOptions {
  model: ResolvedModel;
  clock: Clock;
  breakers: CircuitBreakers;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** Characters of conversation sent to the model (newest kept). Default 12 000. */
  maxChars?: number;
  /** Rounds of clarifying questions already asked in this session. Default 0. */
  questionRounds?: number;
  /**
   * After this many rounds of questions the interview writes a seed from what it has instead
   * of asking again, so a model that keeps asking cannot stall a session. Default 3.
   */
  maxQuestionRounds?: number;
}

const interviewInstructions = `You are the intake of an agent operating system. Read the conversation and decide:
- isTask: does the user want work done (true) or just a conversation (false)?
- chatResponse: your reply when it is not a task.
- complexity: simple, moderate or complex.
- questions: up to 3 clarifying questions when the task is unclear.
- clarity: 0..1 scores for how clear the goal, the constraints and the acceptance criteria are.
- goal, constraints, acceptanceCriteria: the task as you understand it.`;

export async function interview(turns: InterviewTurn[], options: InterviewOptions): Promise<InterviewDecision> {
  const last = turns.at(-1);
  if (last === undefined || last.text.trim().length === 0) {
    throw new KernelError(RuntimeErrorCode.messageEmpty, "the interview needs a non-empty message");
  }
  const transcript = renderTranscript(turns, options.maxChars ?? 12_000);
  const answer = await structuredCall(options, interviewSchema, interviewInstructions, transcript);
  const score = ambiguity(answer.clarity);
  if (!answer.isTask) return { kind: "chat", reply: answer.chatResponse, answer, ambiguity: score };
  const simpleEnough = answer.complexity === "simple" && score <= SIMPLE_SEED_AMBIGUITY;
  const mayAsk = (options.questionRounds ?? 0) < (options.maxQuestionRounds ?? 3);
  if (score > READY_AMBIGUITY && !simpleEnough && mayAsk) {
    const questions = answer.questions.slice(0, 3);
    if (questions.length === 0)
      questions.push("Could you say more precisely what you want done, and how we will know it is done?");
    return { kind: "questions", questions, answer, ambiguity: score };
  }
  if (simpleEnough && answer.goal.trim()) {
    const seed: Seed = {
      goal: answer.goal.trim(),
      constraints: answer.constraints,
      acceptanceCriteria:
        answer.acceptanceCriteria.length > 0 ? answer.acceptanceCriteria : [`Done: ${answer.goal.trim()}`],
    };
    return { kind: "seed", seed, answer, ambiguity: score, seedCall: false };
  }
  const seed = await structuredCall(
    options,
    seedSchema,
    "Write the task as a seed for an agent: one goal, its constraints, and checkable acceptance criteria.",
    `${transcript}\n\nThe intake understood: ${JSON.stringify({ goal: answer.goal, constraints: answer.constraints, acceptanceCriteria: answer.acceptanceCriteria })}`,
  );
  return { kind: "seed", seed, answer, ambiguity: score, seedCall: true };
}

function renderTranscript(turns: InterviewTurn[], maxChars: number): string {
  const text = turns.map((turn) => `${turn.role}: ${turn.text.trim()}`).join("\n");
  const points = Array.from(text);
  // Keep the newest part of the conversation; cut by characters, never bytes.
  return points.length <= maxChars ? text : `…${points.slice(points.length - maxChars + 1).join("")}`;
}
