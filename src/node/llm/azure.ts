import { AzureOpenAI } from 'openai';
import { ConfigurationError } from '../../common/errors';
import type { ChatModel } from '../../common/llm/types';
import { clientCommon, OpenAiChatModel, requireSecureUrl, type CommonLlmOptions } from './chatModel';

/** The Entra scope a token for Azure OpenAI must be requested for (keyless auth). */
export const AZURE_COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

export type AzureAuthOptions =
  /** Keyless: an Entra access token for `AZURE_COGNITIVE_SERVICES_SCOPE`, fetched by the caller on every request. */
  | { readonly kind: 'entra'; readonly getToken: () => Promise<string> }
  | { readonly kind: 'apiKey'; readonly apiKey: string };

export interface AzureOpenAiModelOptions extends CommonLlmOptions {
  /** `https://<resource>.openai.azure.com` */
  readonly endpoint: string;
  readonly deployment: string;
  readonly apiVersion: string;
  readonly auth: AzureAuthOptions;
}

/** A chat model over Azure OpenAI, keyless through Entra or with an `api-key`. */
export function createAzureOpenAiChatModel(options: AzureOpenAiModelOptions): ChatModel {
  requireSecureUrl('secureMcp.llm.azure.endpoint', options.endpoint);
  if (!options.deployment) {
    throw new ConfigurationError('secureMcp.llm.azure.deployment is not set.');
  }
  const auth = options.auth;
  if (auth.kind === 'apiKey' && !auth.apiKey) {
    throw new ConfigurationError('No Azure OpenAI API key is set. Run "Secure MCP: Set API Key", or use Entra sign-in.');
  }
  const client = new AzureOpenAI({
    endpoint: options.endpoint,
    // null rather than undefined: undefined would fall back to OPENAI_BASE_URL / AZURE_OPENAI_API_KEY.
    baseURL: null,
    deployment: options.deployment,
    apiVersion: options.apiVersion,
    ...(auth.kind === 'entra' ? { azureADTokenProvider: auth.getToken, apiKey: '' } : { apiKey: auth.apiKey }),
    organization: null,
    project: null,
    ...clientCommon(options)
  });
  return new OpenAiChatModel(client, options, {
    id: `azure:${options.deployment}`,
    label: `Azure OpenAI ${options.deployment}`,
    model: options.deployment
  });
}
