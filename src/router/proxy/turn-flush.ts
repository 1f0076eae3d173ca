import type { Socket } from 'node:net';
import type { BatchedEnd } from './client-response.ts';

/**
 * Complete small writes — the heads of bodiless requests to instances, whole
 * short responses to clients — sent at once when they are the first of the
 * event loop's current turn, else held until the end of the turn (one
 * setImmediate) and sent back to back.
 *
 * Each write is still one syscall. Under load a turn handles many events;
 * writing each answer as it is made wakes the process on the other end
 * (client, instance) once per write, while the rest of the turn's writes
 * arrive spread out behind it. Holding them makes them leave together, so
 * the other ends find a batch ready and every side works in larger batches:
 * about 15% less CPU per request in the router benchmark. A turn's first
 * write goes at once, so a lone request (low load) waits for nothing; later
 * ones wait at most for the rest of the turn, which under load is shorter
 * than the queueing they already see (docs/benchmarks.md has both).
 *
 * Only writes that complete a message may wait here: nothing else is written
 * to the same target in the meantime (a request with a body writes its head
 * at once, as its body follows).
 */

const sockets: Socket[] = [];
const socketTexts: string[] = [];
const responses: BatchedEnd[] = [];
const responseTexts: string[] = [];
/** A write went out (or a flush is due) in this turn: further writes wait for its end. */
let turnBusy = false;

/** `socket.write(text, 'latin1')`, now or at the end of this turn (skipped if destroyed by then). */
export function writeBatched(socket: Socket, text: string): void {
  if (!turnBusy) {
    startTurn();
    socket.write(text, 'latin1');
    return;
  }
  sockets.push(socket);
  socketTexts.push(text);
}

/** `res.endLatin1(text)`, now or at the end of this turn (skipped if destroyed by then). */
export function endBatched(res: BatchedEnd, text: string): void {
  if (!turnBusy) {
    startTurn();
    res.endLatin1(text);
    return;
  }
  responses.push(res);
  responseTexts.push(text);
}

function startTurn(): void {
  turnBusy = true;
  setImmediate(flush);
}

function flush(): void {
  turnBusy = false;
  // What the writes below cause to be batched lands after the current
  // length and goes in the next turn.
  const socketCount = sockets.length;
  const responseCount = responses.length;
  for (let i = 0; i < socketCount; i++) {
    const socket = sockets[i] as Socket;
    if (!socket.destroyed) socket.write(socketTexts[i] as string, 'latin1');
  }
  for (let i = 0; i < responseCount; i++) {
    const res = responses[i] as BatchedEnd;
    if (!res.destroyed) res.endLatin1(responseTexts[i] as string);
  }
  sockets.splice(0, socketCount);
  socketTexts.splice(0, socketCount);
  responses.splice(0, responseCount);
  responseTexts.splice(0, responseCount);
  // Held during the flush itself (its first write made the turn busy again).
  if ((sockets.length > 0 || responses.length > 0) && !turnBusy) startTurn();
}
