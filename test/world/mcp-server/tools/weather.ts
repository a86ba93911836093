import * as crypto from 'node:crypto';

const CONDITIONS = ['Sunny', 'Partly cloudy', 'Cloudy', 'Light rain', 'Windy', 'Foggy'] as const;

/** Deterministic weather so the scripted LLM and tests can quote it. */
export function weatherFor(city: string, dayOffset = 0): { condition: string; temperatureC: number } {
  const digest = crypto.createHash('sha256').update(`${city.trim().toLowerCase()}#${dayOffset}`).digest();
  return { condition: CONDITIONS[digest[0]! % CONDITIONS.length]!, temperatureC: (digest[1]! % 30) - 2 };
}
