import { z } from 'zod';
import { text, type WorldTool } from './tool';

/**
 * Long enough to be cancelled, with progress and log notifications on the way. On the 2026-07-28
 * wire they ride the call's own POST response stream, and cancelling means dropping that request.
 */
export const slowTask: WorldTool = {
  name: 'slow_task',
  description: 'Runs for the given number of seconds, reporting progress every second. Can be cancelled.',
  register: ({ mcp, name, description, recorded, slowTaskTickMs }) => mcp.registerTool(name, {
    title: 'Slow task',
    description,
    inputSchema: z.object({ seconds: z.number().int().min(1).max(3600).describe('How long to run, in seconds') }),
    annotations: { readOnlyHint: true, openWorldHint: false }
  }, recorded(async ({ seconds }: { seconds: number }, signal, ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    for (let done = 1; done <= seconds; done++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, slowTaskTickMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      if (signal.aborted) {
        return { ...text(`Cancelled after ${done - 1} of ${seconds} seconds.`), isError: true };
      }
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress: done, total: seconds, message: `${done}/${seconds} s` }
        });
      }
      await ctx.mcpReq.notify({
        method: 'notifications/message',
        params: { level: 'info', logger: 'slow_task', data: `step ${done}/${seconds}` }
      });
    }
    return text(`Finished after ${seconds} seconds.`);
  }))
};
