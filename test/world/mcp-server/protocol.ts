/** Which wire answers a request to the MCP endpoint, by the revisions the server is started to serve. */
import type express from 'express';
import { toWebRequest } from '@modelcontextprotocol/node';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import type { ProtocolMode } from './options';

/**
 * In `dual` mode the SDK's own classifier decides (the very check `createMcpHandler` runs), so
 * a request is never sent to a wire that would read it differently: 2025-era requests (no
 * per-request envelope) go to `legacy`, everything else, errors included, to `modern`.
 */
export function byProtocol(mode: ProtocolMode, legacy: express.RequestHandler, modern: express.RequestHandler): express.RequestHandler {
  switch (mode) {
    case '2025-11-25':
      return legacy;
    case '2026-07-28':
      return modern;
    case 'dual':
      return async (req, res, next) => {
        try {
          // The body parser has drained the stream; the parsed body stands in for it.
          const request = await toWebRequest(req, req.body);
          await (await isLegacyRequest(request) ? legacy : modern)(req, res, next);
        } catch (err) {
          next(err);
        }
      };
  }
}
