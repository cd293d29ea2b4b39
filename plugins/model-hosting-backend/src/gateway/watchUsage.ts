import { Transform } from 'stream';
import { StringDecoder } from 'string_decoder';

export interface TokenUsage {
  prompt?: number;
  completion?: number;
}

/**
 * Passes a server-sent event stream through unchanged and remembers the last `usage` an
 * OpenAI-style chunk carried (engines send it last when the client asks for
 * `stream_options.include_usage`), so streamed answers are metered with their tokens.
 */
export function watchUsage(): {
  stream: Transform;
  usage: () => TokenUsage | undefined;
} {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let last: TokenUsage | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const lines = (partial + decoder.write(chunk)).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 1_000_000) partial = ''; // no usage chunk is this long
      for (const line of lines) {
        if (!line.startsWith('data:') || !line.includes('"usage"')) continue;
        try {
          const usage = JSON.parse(line.slice('data:'.length))?.usage;
          if (usage)
            last = {
              prompt: usage.prompt_tokens,
              completion: usage.completion_tokens,
            };
        } catch {
          // not JSON: passed on all the same
        }
      }
      done(null, chunk);
    },
  });
  return { stream, usage: () => last };
}
