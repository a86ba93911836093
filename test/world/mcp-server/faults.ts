/** Faults tests switch on to make the server misbehave the way a broken one would on the wire. */
import { isJSONRPCResultResponse, McpServer, type Implementation, type McpServerOptions, type RequestId, type Transport } from '@modelcontextprotocol/server';

/** Server-wide switches, flipped through the `SecureMcpServer` handle. */
export interface Faults {
  structuredOutputBroken: boolean;
}

/** Violates `get_forecast`'s output schema: `city` must be a string, `days` an array. */
const BROKEN_FORECAST = { city: 42, days: 'sunny all week' };

/**
 * A tool server that can break the structured output of chosen responses. The SDK's server
 * checks a handler's structured output against its schema, so a broken one can only be made
 * after it, in the transport. Overriding `connect` reaches every transport the server is given:
 * a 2025 session's, and the single-exchange one `createMcpHandler` connects per 2026-07-28 request.
 */
export class BreakableMcpServer extends McpServer {
  // Responses to these requests leave with BROKEN_FORECAST as their structuredContent.
  private readonly marked = new Set<RequestId>();

  constructor(serverInfo: Implementation, options: McpServerOptions, private readonly faults: Faults) {
    super(serverInfo, options);
  }

  /** For the tool handling `requestId`; does nothing while the fault is off. */
  breakOutputOf(requestId: RequestId): void {
    if (this.faults.structuredOutputBroken) {
      this.marked.add(requestId);
    }
  }

  override async connect(transport: Transport): Promise<void> {
    const send = transport.send.bind(transport);
    transport.send = (message, sendOptions) => {
      if (isJSONRPCResultResponse(message) && this.marked.delete(message.id)) {
        return send({ ...message, result: { ...message.result, structuredContent: BROKEN_FORECAST } }, sendOptions);
      }
      return send(message, sendOptions);
    };
    await super.connect(transport);
  }
}
