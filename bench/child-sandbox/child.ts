// The process sandbox teams use today, for contrast: a forked child that loads the native addon
// and answers calls over IPC. A crash kills only the child; the parent starts another.
import { load, type Library } from 'cbox';
import { bindingOf } from '../paths.js';
import type { CallReply, CallRequest, ReadyMessage } from './protocol.js';

const libraries: Record<CallRequest['library'], Library> = {
  kernels: await load(await bindingOf('kernels'), { engine: 'native' }),
  zoo: await load(await bindingOf('zoo'), { engine: 'native' }),
};

process.on('message', (request: CallRequest) => {
  let reply: CallReply;
  try {
    reply = { id: request.id, result: libraries[request.library][request.fn]!(...request.args) };
  } catch (error) {
    reply = { id: request.id, error: (error as Error).message };
  }
  process.send!(reply);
});
process.send!({ ready: true } satisfies ReadyMessage);
