import type { Account } from '../resources/account.js';
import type { FormObject } from './form-body.js';

export interface RequestContext {
  account: Account;
  /** Query string (GET, DELETE) or form body (POST), decoded, without `expand`. */
  params: FormObject;
  /** `:name` segments of the route's path. */
  path: Record<string, string>;
  /** `expand[]`, applied to the response afterwards; a handler reads it only for fields absent unless expanded. */
  expand: string[];
  /** The API version the call is answered in: its `Stripe-Version`, else the account's default. */
  version: string;
}

export interface Route {
  method: 'DELETE' | 'GET' | 'POST';
  path: string;
  /** Synchronous, so a request's reads and writes can never interleave with another's. */
  handler(context: RequestContext): object;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

/** A small router: `/v1/customers/:id` patterns, matched in the order given. */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(routes: readonly Route[]): this {
    for (const route of routes) {
      const names: string[] = [];
      const source = route.path.replace(/:(\w+)/g, (_match, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      this.routes.push({ ...route, pattern: new RegExp(`^${source}$`), names });
    }
    return this;
  }

  match(method: string, pathname: string): { route: Route; path: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      const path: Record<string, string> = {};
      route.names.forEach((name, index) => (path[name] = safeDecode(found[index + 1]!)));
      return { route, path };
    }
    return null;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
