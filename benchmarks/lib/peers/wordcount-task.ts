/**
 * benchmarks/lib/peers/wordcount-task.ts: the piscina task of the `structured` part's word-count
 * pipeline (the pool's `filename`): a piece of text in, its word counts (a `Map`) out.
 */
import { countWords } from '../words.js';

export default function task(text: string): Map<string, number> {
  return countWords(text);
}
