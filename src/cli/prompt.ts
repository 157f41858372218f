// One line of a user's answer from stdin (docker's PromptForConfirmation).

import type { Readable } from 'node:stream';

export function readAnswer(stdin: Readable): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.pause();
      resolve(buf.split('\n')[0] ?? '');
    };
    const onData = (chunk: Buffer | string) => {
      buf += chunk.toString();
      if (buf.includes('\n')) done();
    };
    stdin.on('data', onData);
    stdin.on('end', done);
    stdin.resume();
  });
}
