import { Readable } from 'stream';
import { watchUsage } from './watchUsage';

const read = async (chunks: Buffer[]) => {
  const { stream, usage } = watchUsage();
  Readable.from(chunks).pipe(stream);
  const out: Buffer[] = [];
  for await (const c of stream) out.push(c);
  return { out: Buffer.concat(out).toString('utf8'), usage: usage() };
};

describe('watchUsage', () => {
  it('passes events through unchanged and reads the usage chunk, even split across reads', async () => {
    const events = [
      'data: {"choices":[{"delta":{"content":"Hé"}}]}\n\n',
      'data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":4}}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    const bytes = Buffer.from(events);
    const inE = bytes.indexOf('é') + 1; // in the middle of the two bytes of "é"
    const chunks = [
      bytes.subarray(0, inE),
      bytes.subarray(inE, 75),
      bytes.subarray(75),
    ];
    expect(await read(chunks)).toEqual({
      out: events,
      usage: { prompt: 12, completion: 4 },
    });
  });

  it('has no usage when the engine sends none', async () => {
    expect(
      (
        await read([
          Buffer.from('data: {"choices":[]}\n\n'),
          Buffer.from('data: [DONE]\n\n'),
        ])
      ).usage,
    ).toBeUndefined();
  });
});
