import { builder } from './builder.js';

const AccessTokenInfo = builder.objectRef<{ name: string; scopes: string[] }>('AccessTokenInfo').implement({
  description: 'The access token a service calls with.',
  fields: (t) => ({
    name: t.exposeString('name'),
    scopes: t.exposeStringList('scopes'),
  }),
});

builder.queryFields((t) => ({
  viewerAccessToken: t.field({
    type: AccessTokenInfo,
    description: 'For services: checks that their token is still accepted before they do anything that costs money.',
    authScopes: (_root, _args, ctx) => ctx.identity.kind === 'token',
    resolve: (_root, _args, ctx) =>
      ctx.identity.kind === 'token'
        ? { name: ctx.identity.name, scopes: [...ctx.identity.scopes] }
        : { name: '', scopes: [] },
  }),
}));
