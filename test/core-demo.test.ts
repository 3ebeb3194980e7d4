import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('runs /video then /tasks from piped stdin, shows the finished video on the card and the task in the list', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/demo.ts'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], POLL_INTERVAL_MS: '100' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end('/video a red fox --ar 9:16\n/tasks\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    expect(code, stderr).toBe(0);

    // The card: our id, the Kling id, then a Done block with a simulator video URL.
    const ids = /Task: (kb[0-9a-z]+) · Kling (\d+)/.exec(stdout);
    expect(ids).not.toBeNull();
    const [, taskId = '', klingId = ''] = ids ?? [];
    const done = stdout.split('\ncard #1 ').find((block) => block.includes('Text to video · Done'));
    expect(done).toBeDefined();
    expect(done).toContain('9:16');
    expect(done).toMatch(new RegExp(`Video \\(5\\.1s\\): http://127\\.0\\.0\\.1:\\d+/media/${klingId}\\.mp4`));
    expect(done).toMatch(/Links expire on \d{4}-\d{2}-\d{2}/);
    // The /tasks page lists the same task.
    expect(stdout).toMatch(/Task history \(this channel\) · page 1 of 1 · 1 task\n/);
    expect(stdout).toMatch(new RegExp(`\\n  ${taskId}  .*a red fox`));
    expect(stdout).toContain('All tasks are final. Bye.');
    expect(stderr).not.toMatch(/error/i);
  });
});
