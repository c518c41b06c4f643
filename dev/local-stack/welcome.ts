import { LOOPBACK } from '../../packages/base/listen-host.js';

/** The banner `npm start` prints once everything answers: URLs and a copy-paste walkthrough. */
export function welcome(info: {
  apiUrl: string;
  readyMs: number;
  stripeNote: string;
  env: Record<string, string>;
  operatorToken: string;
  host: string;
  /** SHOP: the example storefront at /shop, the quickest way to see the workflow. */
  shop: boolean;
}): string {
  const graphql = `${info.apiUrl}/graphql`;
  const curl = (query: string, auth = '') =>
    `curl -s ${graphql} -H 'content-type: application/json'${auth} \\\n    -d '${JSON.stringify({ query })}'`;
  return `
Paygraph is ready in ${info.readyMs} ms.
${info.shop ? `  shop (try it)       ${info.apiUrl}/shop  (card 4242 4242 4242 4242, any future date, any CVC)\n` : ''}  GraphQL + GraphiQL  ${graphql}
  delivery console    ${info.apiUrl}/console#token=${info.operatorToken}
                      (signs in as an operator with callbacks:admin; the token is replaced at each start)
  health              ${info.apiUrl}/healthz  ${info.apiUrl}/readyz  ${info.apiUrl}/metrics
  create-customer     ${info.env.CREATE_CUSTOMER_URL}
  charge-customer     ${info.env.CHARGE_CUSTOMER_URL}
  payments            ${info.stripeNote}
  listening on        ${info.host === LOOPBACK ? `${LOOPBACK} only (HOST=0.0.0.0 opens the API and services to other machines)` : `${info.host} (HOST): the API and services are open to other machines`}

Try the workflow (copy-paste, in another terminal):
  ${curl('mutation { createUser(name: "Nilan", authProvider: { email: { email: "nilan@graph.cool", password: "password" } }) { id } }')}
  ${curl('mutation { signinUser(email: { email: "nilan@graph.cool", password: "password" }) { token user { id } } }')}
  export TOKEN=<token> USER_ID=<user id>
  curl -s ${graphql} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"mutation { createCardDetails(cardToken: \\"tok_visa\\", userId: \\"'$USER_ID'\\") { id } }"}'
  curl -s ${graphql} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"mutation { createPurchase(amount: 50000, description: \\"A new laptop\\", isPaid: false, userId: \\"'$USER_ID'\\") { id isPaid } }"}'
  curl -s ${graphql} -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
    -d '{"query":"{ allPurchases { id isPaid status stripeChargeId } }"}'

Ctrl-C stops everything.
`;
}
