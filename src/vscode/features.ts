/**
 * Entry of dist/features.js: the parts of the VS Code layer that activation does not
 * need (the chat handler, the approval and elicitation webviews, the heavier
 * commands). src/vscode/lazy.ts loads it on first use.
 */
export { ApprovalService } from './approval';
export { ElicitationPanels } from './elicitation/elicitationPanels';
export { handleChatRequest } from './chat/handler';
export { configureServer, diagnoseCommand, setApiKey, showTools } from './commands/serverCommands';
