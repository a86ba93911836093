/** The MCP revisions this client speaks, newest first. */
export const PROTOCOL_VERSIONS = ['2026-07-28', '2025-11-25'] as const;
export type ProtocolVersion = typeof PROTOCOL_VERSIONS[number];
/** `secureMcp.protocol.version`: ask the server which it speaks (`auto`), or pin one revision. */
export type ProtocolSetting = 'auto' | ProtocolVersion;
export const PROTOCOL_SETTINGS: readonly ProtocolSetting[] = ['auto', ...PROTOCOL_VERSIONS];
