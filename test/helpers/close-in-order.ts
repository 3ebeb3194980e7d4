interface Closable {
  close(): Promise<unknown>;
}

/**
 * What a test opened (a bot, then the fakes and the simulator it talks to), closed in the order
 * given, each one even if an earlier close failed; the first failure is thrown after all ran.
 * Not yet opened (undefined) is skipped.
 */
export async function closeInOrder(resources: ReadonlyArray<Closable | undefined>): Promise<void> {
  const failures: unknown[] = [];
  for (const resource of resources) {
    try {
      await resource?.close();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}
