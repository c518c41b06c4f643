/** `POST /v1/customers/*`: the router's `:id` and the spec's `{id}` spell a path parameter differently. */
export function operationKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/[:{]\w+\}?/g, '*')}`;
}
