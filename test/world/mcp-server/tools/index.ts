/** The world's tool catalogue, in the order `tools/list` returns it. */
import { bigResult } from './big-result';
import { confirmAction } from './confirm-action';
import { deleteItem } from './delete-item';
import { getDate } from './get-date';
import { getForecast } from './get-forecast';
import { getRandomNumber } from './get-random-number';
import { getWeather } from './get-weather';
import { slowTask } from './slow-task';
import type { WorldTool } from './tool';

export const WORLD_TOOLS: readonly WorldTool[] = [
  getRandomNumber,
  getDate,
  getWeather,
  deleteItem,
  slowTask,
  confirmAction,
  getForecast,
  bigResult
];
