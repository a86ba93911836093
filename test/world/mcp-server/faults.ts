/** Faults tests switch on to make the server misbehave the way a broken one would on the wire. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isJSONRPCResultResponse, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';

/** Server-wide switches, flipped through the `SecureMcpServer` handle. */
export interface Faults {
  structuredOutputBroken: boolean;
}

/** Violates `get_forecast`'s output schema: `city` must be a string, `days` an array. */
const BROKEN_FORECAST = { city: 42, days: 'sunny all week' };

/**
 * One per session. The SDK's server checks a handler's structured output against its schema,
 * so a broken one can only be made after it, in the transport.
 */
export class OutputBreaker {
  // Responses to these requests leave with BROKEN_FORECAST as their structuredContent.
  private readonly marked = new Set<RequestId>();

  constructor(private readonly faults: Faults) {}

  /** For the tool handling `requestId`; does nothing while the fault is off. */
  mark(requestId: RequestId): void {
    if (this.faults.structuredOutputBroken) {
      this.marked.add(requestId);
    }
  }

  async connect(mcp: McpServer, transport: Transport): Promise<void> {
    const send = transport.send.bind(transport);
    transport.send = (message: JSONRPCMessage, sendOptions) => {
      if (isJSONRPCResultResponse(message) && this.marked.delete(message.id)) {
        return send({ ...message, result: { ...message.result, structuredContent: BROKEN_FORECAST } }, sendOptions);
      }
      return send(message, sendOptions);
    };
    await mcp.connect(transport);
  }
}
