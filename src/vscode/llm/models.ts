import * as vscode from 'vscode';
import { ConfigurationError, LlmConfigurationError } from '../../common/errors';
import type { ChatModel } from '../../common/llm/types';
import type { Logger } from '../../common/log';
import { azureOpenAiScope, isEntraProvider, type Settings } from '../../common/settings';
import { VsCodeChatModel } from './vscodeLm';
import { createAzureOpenAiChatModel } from '../../node/llm/azure';
import { createOpenAiChatModel } from '../../node/llm/openai';

/** Where LLM API keys live: VS Code secret storage, never settings. */
export const API_KEY_SECRETS = {
  openai: 'secureMcp.llm.openai.apiKey',
  azureOpenAI: 'secureMcp.llm.azure.apiKey'
} as const;

export type KeyedProvider = keyof typeof API_KEY_SECRETS;

export interface ChosenModel {
  readonly model: ChatModel;
  readonly provider: 'openai' | 'azureOpenAI' | 'vscode';
  /** Why this one, shown in the reply ("auto" picks are visible). */
  readonly reason: string;
}

/**
 * Picks the language model for a chat turn from `secureMcp.llm.*`: OpenAI or Azure
 * OpenAI when configured, otherwise the model chosen in the chat view.
 */
export async function chooseModel(settings: Settings, secrets: vscode.SecretStorage, chatModel: vscode.LanguageModelChat | undefined, logger: Logger): Promise<ChosenModel> {
  const llm = settings.llm;
  // A key in secret storage (the "Set LLM API Key" command) wins; the environment variable
  // is the fallback `npm start` and CI use, and the reply says when it was used.
  const keyFrom = async (secret: string, variable: string) => {
    const stored = await secrets.get(secret);
    return stored ? { key: stored, note: '' } : process.env[variable] ? { key: process.env[variable], note: vscode.l10n.t(' (key from {0})', variable) } : undefined;
  };
  const openAiKey = () => keyFrom(API_KEY_SECRETS.openai, 'OPENAI_API_KEY');
  let provider = llm.provider;
  let reason = vscode.l10n.t('set in secureMcp.llm.provider');
  if (provider === 'auto') {
    if (llm.azure.endpoint && llm.azure.deployment) {
      provider = 'azureOpenAI';
      reason = vscode.l10n.t('auto: Azure OpenAI is configured');
    } else if (await openAiKey()) {
      provider = 'openai';
      reason = vscode.l10n.t('auto: an OpenAI key is set');
    } else {
      provider = 'vscode';
      reason = vscode.l10n.t('auto: no OpenAI or Azure OpenAI configured, so the chat view\'s model');
    }
  }
  if (provider === 'vscode') {
    if (!chatModel) {
      throw new LlmConfigurationError(vscode.l10n.t('No language model is available in the chat view. Pick a model there, or configure OpenAI or Azure OpenAI (secureMcp.llm.provider).'), 'pickChatModel');
    }
    return { model: new VsCodeChatModel(chatModel), provider: 'vscode', reason };
  }
  if (provider === 'openai') {
    const found = await openAiKey();
    if (!found) {
      throw new LlmConfigurationError(vscode.l10n.t('No OpenAI API key is set. Run "Secure MCP: Set LLM API Key…".'), 'setApiKey');
    }
    return {
      model: llmSettings(() => createOpenAiChatModel({ apiKey: found.key, model: llm.openai.model, ...(llm.openai.baseUrl ? { baseUrl: llm.openai.baseUrl } : {}), logger })),
      provider: 'openai',
      reason: reason + found.note
    };
  }
  const azure = llm.azure;
  if (!azure.endpoint || !azure.deployment) {
    throw new LlmConfigurationError(vscode.l10n.t('Azure OpenAI needs secureMcp.llm.azure.endpoint and secureMcp.llm.azure.deployment.'), 'openSettings', [
      ...(azure.endpoint ? [] : [{ key: 'secureMcp.llm.azure.endpoint', message: vscode.l10n.t('is not set') }]),
      ...(azure.deployment ? [] : [{ key: 'secureMcp.llm.azure.deployment', message: vscode.l10n.t('is not set') }])
    ]);
  }
  let auth: Parameters<typeof createAzureOpenAiChatModel>[0]['auth'];
  if (azure.auth === 'apiKey') {
    const found = await keyFrom(API_KEY_SECRETS.azureOpenAI, 'AZURE_OPENAI_API_KEY');
    if (!found) {
      throw new LlmConfigurationError(vscode.l10n.t('No Azure OpenAI API key is set. Run "Secure MCP: Set LLM API Key…", or use Entra (secureMcp.llm.azure.auth).'), 'setApiKey');
    }
    auth = { kind: 'apiKey', apiKey: found.key };
    reason += found.note;
  } else {
    const providerId = azure.authProviderId;
    const scopes = [azureOpenAiScope(azure.endpoint), ...(settings.auth.tenant && isEntraProvider(providerId) ? [`VSCODE_TENANT:${settings.auth.tenant}`] : [])];
    auth = {
      kind: 'entra',
      // Keyless: a token from the same Microsoft account, asked for on each request (the provider caches and refreshes).
      getToken: async () => {
        const session = await vscode.authentication.getSession(providerId, scopes, { silent: true })
          ?? await vscode.authentication.getSession(providerId, scopes, { createIfNone: { detail: vscode.l10n.t('Secure MCP uses your Microsoft account for Azure OpenAI (no API key).') } });
        return session.accessToken;
      }
    };
  }
  return {
    model: llmSettings(() => createAzureOpenAiChatModel({ endpoint: azure.endpoint, deployment: azure.deployment, apiVersion: azure.apiVersion, auth, logger })),
    provider: 'azureOpenAI',
    reason
  };
}

/** The model factories reject bad secureMcp.llm.* values (an http endpoint, say) as configuration errors; those are fixed in the LLM settings, not the server's. */
function llmSettings(create: () => ChatModel): ChatModel {
  try {
    return create();
  } catch (e) {
    if (e instanceof ConfigurationError && !(e instanceof LlmConfigurationError)) {
      throw new LlmConfigurationError(e.message, 'openSettings', e.problems);
    }
    throw e;
  }
}
