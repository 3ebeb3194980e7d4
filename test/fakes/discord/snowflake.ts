/** Discord snowflakes: (ms since 2015-01-01) << 22 | worker << 17 | process << 12 | increment. */

export const DISCORD_EPOCH = 1_420_070_400_000n;

let increment = 0n;

export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  const ts = BigInt(Math.floor(at)) - DISCORD_EPOCH;
  return ((ts << 22n) | (1n << 17n) | (1n << 12n) | increment).toString();
}

export function snowflakeTimestamp(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}
