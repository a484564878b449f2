/** Types of redis.mjs: the unpacked redis-server (installed on first use) and its environment. */
export function redisTooling(): { binary: string; env: NodeJS.ProcessEnv; version: string };
