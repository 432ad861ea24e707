// The People page's API: who we follow, who follows us, who is near, auto-follow's decisions and policy; and
// following, blocking and changing the policy, each answered with the page's new view.
import type { FastifyInstance } from 'fastify';
import type { LogSink } from '../../log/logger.js';
import { booleanField, feedIdField, InvalidInput, objectBody, oneOf } from '../inputs.js';
import type { SsbAccess } from '../ssb-access.js';
import { peopleView } from '../views.js';

export function peopleRoutes(app: FastifyInstance, parts: { ssb: SsbAccess; logger: LogSink }): void {
  const { ssb: access, logger } = parts;
  const people = async () => {
    const ssb = access.peer();
    const [relationships, profiles] = await Promise.all([ssb.relationships(), ssb.profiles()]);
    return peopleView({
      self: ssb.id,
      relationships,
      profiles,
      peers: ssb.peers(),
      policy: ssb.autoFollowPolicy(),
      decisions: ssb.autoFollowDecisions(),
    });
  };
  app.get('/api/people', people);
  app.post<{ Params: { action: string } }>('/api/people/:action', async (request) => {
    const action = oneOf(request.params.action, ['follow', 'unfollow', 'block', 'unblock'] as const, 'the action');
    const id = feedIdField(objectBody(request.body).id);
    const ssb = access.peer();
    if (id === ssb.id) throw new InvalidInput('that is this device’s own id');
    await ssb[action](id);
    logger.log('info', `web: ${action}`, { id });
    return people();
  });
  app.post('/api/auto-follow', async (request) => {
    const enabled = booleanField(objectBody(request.body).enabled, 'enabled');
    await access.peer().setAutoFollowPolicy({ enabled });
    return people();
  });
  app.post('/api/auto-follow/list', async (request) => {
    const body = objectBody(request.body);
    const list = oneOf(body.list, ['allow', 'deny'] as const, 'list');
    const action = oneOf(body.action, ['add', 'remove'] as const, 'action');
    const id = feedIdField(body.id);
    const ssb = access.peer();
    const current = ssb.autoFollowPolicy()[list];
    if (action === 'add' && current.includes(id)) throw new InvalidInput(`that id is already on the ${list} list`);
    if (action === 'remove' && !current.includes(id)) throw new InvalidInput(`that id is not on the ${list} list`);
    const next = action === 'add' ? [...current, id] : current.filter((x) => x !== id);
    await ssb.setAutoFollowPolicy({ [list]: next });
    return people();
  });
}
