import type { VersionNegotiationMode } from '@modelcontextprotocol/client';
import type { ProtocolSetting } from '../../common/protocol';

export { PROTOCOL_VERSIONS, type ProtocolSetting, type ProtocolVersion } from '../../common/protocol';

/**
 * The SDK's negotiation mode for a setting. 2025-11-25 is the SDK's `legacy` mode: the
 * plain `initialize` handshake, never a `server/discover` probe.
 */
export function negotiationMode(setting: ProtocolSetting): VersionNegotiationMode {
  return setting === 'auto' ? 'auto' : setting === '2025-11-25' ? 'legacy' : { pin: setting };
}
