import OpenAI from 'openai';
import { ConfigurationError } from '../../common/errors';
import type { ChatModel } from '../../common/llm/types';
import { clientCommon, OpenAiChatModel, requireSecureUrl, type CommonLlmOptions } from './chatModel';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAiModelOptions extends CommonLlmOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Any OpenAI-compatible endpoint (gateway, local server); default https://api.openai.com/v1. */
  readonly baseUrl?: string;
}

/** A chat model over OpenAI or any OpenAI-compatible Chat Completions endpoint. */
export function createOpenAiChatModel(options: OpenAiModelOptions): ChatModel {
  const baseURL = options.baseUrl || DEFAULT_OPENAI_BASE_URL;
  requireSecureUrl('secureMcp.llm.openai.baseUrl', baseURL);
  if (!options.apiKey) {
    throw new ConfigurationError('No OpenAI API key is set. Run "Secure MCP: Set API Key".');
  }
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL,
    // Explicit nulls keep OPENAI_* environment variables from adding credentials or headers.
    organization: null,
    project: null,
    adminAPIKey: null,
    ...clientCommon(options)
  });
  const custom = options.baseUrl && options.baseUrl !== DEFAULT_OPENAI_BASE_URL;
  return new OpenAiChatModel(client, options, {
    id: `openai:${options.model}`,
    label: custom ? `${options.model} at ${new URL(baseURL).host}` : `OpenAI ${options.model}`,
    model: options.model
  });
}
