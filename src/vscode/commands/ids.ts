/** Every contributed command; kept free of the vscode module so tests can read it in plain Node. */
export const COMMAND_IDS = [
  'secureMcp.signIn',
  'secureMcp.signOut',
  'secureMcp.configureServer',
  'secureMcp.addServer',
  'secureMcp.removeServer',
  'secureMcp.showServers',
  'secureMcp.setApiKey',
  'secureMcp.showTools',
  'secureMcp.reconnect',
  'secureMcp.diagnose',
  'secureMcp.showLog',
  'secureMcp.showAuditLog',
  'secureMcp.exportAuditLog',
  'secureMcp.verifyAuditLog',
  'secureMcp.resetApprovals'
] as const;

export type CommandId = typeof COMMAND_IDS[number];
