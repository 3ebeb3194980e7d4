/**
 * Discord's attachment links are signed and expire (about a day): the `ex` query parameter is the
 * expiry as hex Unix seconds (https://discord.com/developers/docs/reference#signed-attachment-cdn-urls).
 * Kling reads reference images only at create time, so a task can be made from them, but
 * Regenerate after they expire would send Kling dead links.
 */

const DISCORD_CDN = /^(cdn\.discordapp\.com|media\.discordapp\.net)$/i;

/** When a signed Discord link stops working, in ms; undefined for any other link or no `ex`. */
export function linkExpiry(link: string): number | undefined {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return undefined;
  }
  if (!DISCORD_CDN.test(url.hostname)) return undefined;
  const ex = url.searchParams.get('ex');
  if (!ex || !/^[0-9a-f]{1,12}$/i.test(ex)) return undefined;
  return parseInt(ex, 16) * 1000;
}

/** The first expiry among `links` (the task's images all work until then), or undefined. */
export function linksExpireAt(links: readonly string[]): number | undefined {
  const times = links.map(linkExpiry).filter((t): t is number => t !== undefined);
  return times.length ? Math.min(...times) : undefined;
}

/** The sentence Regenerate answers once the links are gone, or undefined while they work. */
export function expiredImagesReason(expiresAt: number | undefined, now: number): string | undefined {
  if (expiresAt === undefined || now < expiresAt) return undefined;
  return 'This task’s reference images were Discord attachments, and their links have expired (Discord keeps them about a day), so Kling could not read them again. Run /video again with the images attached.';
}
